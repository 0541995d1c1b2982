/** The engine's web worker: wires LocalEngine (WebGPU/wasm runtime + IndexedDB weight store) to the page. */
import { webRuntime } from '../src/browser/ort-web.js';
import { LocalEngine } from '../src/engine/local-engine.js';
import { serveEngine, type PortLike } from '../src/protocol/worker-host.js';
import { WeightStore } from '../src/store/weight-store.js';

const engine = new LocalEngine({ ort: webRuntime(import.meta.env.BASE_URL), store: new WeightStore() });
serveEngine(engine, self as unknown as PortLike);
