/** Stands in for onnxruntime-web in the GPU bundle, which runs onnxruntime-node only (--runtime node-webgpu or node-cpu). */
const missing = (): never => {
  throw new Error('The GPU bundle has no onnxruntime-web: use --runtime node-webgpu or node-cpu.');
};
export const env = new Proxy({}, { get: missing, set: missing });
export const InferenceSession = { create: missing };
export const Tensor = missing;
