/**
 * Side-effect entry ('sd-web/element/define', built to dist/lib/define.js): defines <sd-text-to-image>
 * with its files next to this module. One tag does it all:
 *
 *   <script type="module" src="lib/define.js"></script>
 *
 * Outside a browser (SSR) it does nothing.
 */
import { SdTextToImageElement } from './sd-text-to-image.js';

// Through a variable: Vite reads `new URL('<literal>', import.meta.url)` as an asset to bundle.
// (Not through index.ts: its defineSdTextToImage would then sit in a shared chunk under assets/,
// and its own URL would no longer be the library's folder.)
const moduleUrl = import.meta.url;
if (typeof customElements !== 'undefined') {
  SdTextToImageElement.assetsUrl = new URL('./', moduleUrl).href;
  SdTextToImageElement.define();
}
