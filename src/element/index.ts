/**
 * The library's entry ('sd-web/element', built to dist/lib/sd-text-to-image.js by vite.lib.config.ts).
 * It has no side effects, so it also imports in Node (SSR, tests); a page calls defineSdTextToImage()
 * once, or loads the side-effect entry define.ts ('sd-web/element/define', dist/lib/define.js).
 *
 * The element's files (engine.worker.js, ort/, models/) sit next to the built module; a page whose
 * bundler moves the module elsewhere serves a copy of dist/lib/ and passes its URL as `assetsUrl`.
 */
import { SdTextToImageElement } from './sd-text-to-image.js';

export interface DefineOptions {
  /** The tag name (default 'sd-text-to-image'). */
  tag?: string;
  /**
   * The folder with the library's files (a copy of the package's dist/lib/: engine.worker.js, ort/,
   * models/), resolved against the page. Default: the folder this module was loaded from.
   */
  assetsUrl?: string | URL;
  /** The registry to define it in (default: the page's customElements). */
  registry?: CustomElementRegistry;
}

// Through a variable: Vite reads `new URL('<literal>', import.meta.url)` as an asset to bundle.
const moduleUrl = import.meta.url;

/** Registers <sd-text-to-image> (once per tag) and sets where its files are. Browser only: call it, don't import it, from SSR code. */
export function defineSdTextToImage(options: DefineOptions = {}): typeof SdTextToImageElement {
  SdTextToImageElement.assetsUrl = new URL(options.assetsUrl ?? new URL('./', moduleUrl), document.baseURI).href;
  return SdTextToImageElement.define(options.tag, options.registry);
}

export { SdTextToImageElement } from './sd-text-to-image.js';
export { SharedEngine, workerEngine, WORKER_FILE, type EngineFactory } from './shared-engine.js';
export type { SdCompleteDetail, SdErrorDetail, SdEventMap, SdPreviewDetail, SdProgressDetail } from './events.js';
export type { ImageInput } from './image-inputs.js';
