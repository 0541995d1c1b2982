/**
 * `manifest.json`: an optional list of a model folder's files with their sizes and SHA-256 digests,
 * at the folder root next to model_index.json. When present, the downloader plans from it (no
 * probing for optional files, exact sizes for the quota check and progress) and checks every file's
 * digest against it. `tools/make-manifest.ts` writes one for a folder.
 *
 *   { "version": 1,
 *     "files": [ { "path": "unet/weights.pb", "size": 1719093248, "sha256": "9f1c…" }, … ] }
 *
 * `path` is relative to the folder, "/"-separated; `sha256` is 64 lowercase hex digits.
 */
import { ModelFormatError } from '../core/errors.js';

export const MANIFEST_PATH = 'manifest.json';

export interface ManifestEntry {
  path: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  version: 1;
  files: ManifestEntry[];
}

/** Parses and validates a manifest; `where` names it in errors (usually its URL). */
export function parseManifest(text: string, where: string): Manifest {
  const fail = (why: string): never => {
    throw new ModelFormatError(
      `${where} is not a valid model manifest (${why}). Regenerate it with tools/make-manifest.ts, or delete it to download without one.`,
    );
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('not JSON');
  }
  if (typeof json !== 'object' || json === null) return fail('not an object');
  const { version, files } = json as { version?: unknown; files?: unknown };
  if (version !== 1) fail(`version ${JSON.stringify(version)}, expected 1`);
  if (!Array.isArray(files)) return fail('"files" is not an array');
  const seen = new Set<string>();
  const entries = files.map((file: unknown, i): ManifestEntry => {
    const { path, size, sha256 } = (file ?? {}) as Record<string, unknown>;
    if (typeof path !== 'string' || path === '' || path.startsWith('/') || path.split('/').includes('..')) {
      fail(`files[${i}].path must be a relative path`);
    }
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) fail(`files[${i}].size must be a byte count`);
    if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) fail(`files[${i}].sha256 must be 64 lowercase hex digits`);
    if (seen.has(path as string)) fail(`"${path}" is listed twice`);
    seen.add(path as string);
    return { path: path as string, size: size as number, sha256: sha256 as string };
  });
  return { version: 1, files: entries };
}
