/**
 * The library's entry, built to dist/lib/sd-text-to-image.js (vite.lib.config.ts): one
 * `<script type="module">` defines <sd-text-to-image>. Preset models (`model="shapes-sd"`) resolve
 * next to this file, where the library build copies them (lib/models/).
 */
import { SdTextToImageElement } from './sd-text-to-image.js';

// Through a variable: Vite reads `new URL('<literal>', import.meta.url)` as an asset to bundle.
const moduleUrl = import.meta.url;
SdTextToImageElement.presetBaseUrl = new URL('./', moduleUrl).href;
SdTextToImageElement.define();

export { SdTextToImageElement } from './sd-text-to-image.js';
export { SharedEngine, workerEngine, type EngineFactory } from './shared-engine.js';
export type { SdCompleteDetail, SdErrorDetail, SdEventMap, SdPreviewDetail, SdProgressDetail } from './events.js';
