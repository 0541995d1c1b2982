/**
 * Node adapters, the package's 'sd-web/node': ONNX runtimes for the engine ('sd-web/engine') and a
 * model folder on disk.
 *
 *   wasmRuntime()              onnxruntime-web's wasm backend (a dependency; CPU, all cores)
 *   nativeRuntime('cpu'|'webgpu')  onnxruntime-node, an optional peer dependency: `npm install onnxruntime-node`
 *   DirectoryModelSource       a diffusers ONNX folder on disk
 *   DirectoryModelStore        folders on disk as the engine's ModelStore (LocalEngine in Node)
 *   bundledModelDir()          the demo model shipped with the package (shapes-sd fp32)
 */
export { wasmRuntime } from './ort-node.js';
export { assertNativeWebGpu, nativeRuntime, type NativeBackend, type NativeRuntime } from './ort-native.js';
export { DirectoryModelSource } from './directory-source.js';
export { DirectoryModelStore } from './directory-store.js';
export { bundledModelDir } from './bundled-model.js';
