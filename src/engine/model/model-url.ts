/**
 * Model folder URLs → the normalised base URL that names a stored model.
 *
 * A model id is its normalised base URL (absolute, query and fragment removed, ending in "/"), so
 * the same folder typed two ways is stored once. Hugging Face repository pages are turned into
 * their file URLs: `https://huggingface.co/ORG/REPO` and `.../tree/REV/SUBDIR` become
 * `.../resolve/REV/SUBDIR/` (default revision `main`).
 */
import { InvalidRequestError } from '../../core/errors.js';

const HF_HOSTS = new Set(['huggingface.co', 'hf.co']);

/**
 * `base` resolves relative URLs (a folder bundled with the app, e.g. "models/shapes-sd-fp16/");
 * it defaults to the worker's or page's location.
 */
export function normaliseModelUrl(input: string, base: string | undefined = globalThis.location?.href): string {
  let url: URL;
  try {
    url = new URL(input.trim(), base);
  } catch {
    throw new InvalidRequestError(
      `"${input}" is not a model URL. Give the folder that holds model_index.json, e.g. https://huggingface.co/ORG/REPO/resolve/main/.`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidRequestError(`Model URLs must be http(s); got "${url.protocol}" in "${input}".`);
  }
  url.search = '';
  url.hash = '';
  let path = url.pathname.replace(/\/{2,}/g, '/');
  if (path.endsWith('/model_index.json')) path = path.slice(0, -'model_index.json'.length);
  if (HF_HOSTS.has(url.hostname)) {
    url.hostname = 'huggingface.co';
    const parts = path.split('/').filter(Boolean);
    if (parts.length === 2) parts.push('resolve', 'main');
    else if (parts[2] === 'tree' || parts[2] === 'blob') parts[2] = 'resolve';
    path = `/${parts.join('/')}`;
  }
  url.pathname = path.endsWith('/') ? path : `${path}/`;
  return url.href;
}

/** A short name for messages: "ORG/REPO" (plus "@REV" when not main) on Hugging Face, else the last folder name. */
export function modelNameFromUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  const parts = url.pathname.split('/').filter(Boolean);
  if (url.hostname === 'huggingface.co' && parts.length >= 4 && parts[2] === 'resolve') {
    const rev = parts[3] === 'main' ? '' : `@${parts[3]}`;
    const sub = parts.length > 4 ? `/${parts.slice(4).join('/')}` : '';
    return `${parts[0]}/${parts[1]}${sub}${rev}`;
  }
  return parts.at(-1) ?? url.host;
}

/** The URL of one file of the folder ("unet/weights.pb"), each path segment escaped. */
export function fileUrl(baseUrl: string, path: string): string {
  return new URL(path.split('/').map(encodeURIComponent).join('/'), baseUrl).href;
}
