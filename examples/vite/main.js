import { defineSdTextToImage } from 'sd-web/element';

// The element's files are served at /sd-web/ (vite.config.js).
defineSdTextToImage({ assetsUrl: `${import.meta.env.BASE_URL}sd-web/` });

const element = document.querySelector('sd-text-to-image');
element.addEventListener('sd-complete', (event) => {
  document.querySelector('#log').textContent = `seed ${event.detail.request.seed}, ${event.detail.blob.size} bytes`;
});
