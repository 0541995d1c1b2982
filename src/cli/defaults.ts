/** The model the commands use without --model: the bundled demo (shapes-sd fp32), see src/node/bundled-model.ts. */
export { bundledModelDir as defaultModelDir } from '../node/bundled-model.js';
