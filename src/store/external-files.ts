/**
 * The external-data files a folder's graphs name (any names, several files per part, as the ONNX
 * reader's `externalDataFiles` finds them in each graph), and the first one that is shorter
 * than its graph reads. `external` maps each graph's path to the files it names.
 */
import { ModelFileMissingError } from '../core/errors.js';
import type { ExternalDataFile } from '../core/onnx/external-data.js';
import type { Manifest } from './manifest.js';
import type { ModelFile } from './model-files.js';

/** Files this small that stand where weights should be are sniffed for what they are (git-lfs pointers are ~130 bytes). */
export const STAND_IN_MAX_BYTES = 1024;

/**
 * The external-data files the graphs name (`<part>/<location>`) that the folder's fixed layout does
 * not already list, required; with a manifest each must be in it (size and digest).
 */
export function externalFilesOf(
  external: ReadonlyMap<string, readonly ExternalDataFile[]>,
  listed: readonly ModelFile[],
  manifest: Manifest | undefined,
): ModelFile[] {
  const known = new Set(listed.map((file) => file.path));
  const out: ModelFile[] = [];
  for (const [graphPath, files] of external) {
    const folder = graphPath.slice(0, graphPath.lastIndexOf('/') + 1);
    for (const { location } of files) {
      const path = folder + location;
      if (known.has(path)) {
        const entry = listed.find((file) => file.path === path)!;
        entry.required = true; // e.g. unet/weights.pb, optional in the layout, named by this graph
        continue;
      }
      known.add(path);
      if (!manifest) {
        out.push({ path, required: true });
        continue;
      }
      const entry = manifest.files.find((file) => file.path === path);
      if (!entry) {
        throw new ModelFileMissingError(
          `${graphPath} keeps weights in ${location}, which the model's manifest.json does not list. Regenerate the manifest with tools/make-manifest.ts.`,
        );
      }
      out.push({ path, required: true, size: entry.size, sha256: entry.sha256 });
    }
  }
  return out;
}

/** The first external-data file shorter than the bytes its graph reads from it (refused before its weights download). */
export function shortExternalFile(
  external: ReadonlyMap<string, readonly ExternalDataFile[]>,
  sizes: ReadonlyMap<string, number | null>,
): { path: string; size: number; bytesUsed: number; graphPath: string } | undefined {
  for (const [graphPath, files] of external) {
    const folder = graphPath.slice(0, graphPath.lastIndexOf('/') + 1);
    for (const { location, bytesUsed } of files) {
      const path = folder + location;
      const size = sizes.get(path);
      if (size != null && bytesUsed !== null && size < bytesUsed) return { path, size, bytesUsed, graphPath };
    }
  }
  return undefined;
}
