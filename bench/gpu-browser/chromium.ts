/**
 * The Chromium launch the GPU-machine benches share (browser-run.ts, graph-capture-check.ts): the flags, and
 * the executable and environment of a folder bench/gpu-browser/pack-chromium.sh packs (its libraries through
 * LD_LIBRARY_PATH, its fonts through FONTCONFIG_FILE). The flag groups are e2e/lib/browser.ts's.
 */
import { join } from 'node:path';
import { HEADLESS_ARGS, WEBGPU_ARGS } from '../../e2e/lib/browser.js';

/**
 * Headless flags plus WebGPU; 'swiftshader' picks the CPU adapter (the rehearsal here), anything else lets no
 * GPU blocklist decision hide the NVIDIA adapter from WebGPU (Dawn finds the NVIDIA ICD through VK_DRIVER_FILES).
 */
export function gpuChromiumArgs(adapter: string): string[] {
  return [
    ...HEADLESS_ARGS,
    '--disable-dev-shm-usage',
    ...WEBGPU_ARGS,
    ...(adapter === 'swiftshader' ? ['--use-webgpu-adapter=swiftshader'] : ['--ignore-gpu-blocklist']),
  ];
}

/** The headless shell in a pack-chromium.sh folder, with the environment that finds its libraries and fonts. */
export function packedChromium(dir: string): { executablePath: string; env: Record<string, string> } {
  const env = {
    ...process.env,
    LD_LIBRARY_PATH: `${dir}/lib${process.env.LD_LIBRARY_PATH ? `:${process.env.LD_LIBRARY_PATH}` : ''}`,
    FONTCONFIG_FILE: `${dir}/fonts.conf`,
  } as Record<string, string>;
  return { executablePath: join(dir, 'chromium-headless-shell'), env };
}
