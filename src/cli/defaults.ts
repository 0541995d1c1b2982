import { fileURLToPath } from 'node:url';

/** The bundled demo model (shapes-sd, fp32: the wasm backend's best fit). */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../public/models/shapes-sd-fp32', import.meta.url));
