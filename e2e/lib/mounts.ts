/**
 * Extra folders served beside the app in browser tests, URL prefix -> folder (relative to the
 * repository or absolute), e.g. test fixtures or a model folder made for one test. Plain GETs of
 * whole files: what the weight store and the decoders ask for.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = { '.png': 'image/png', '.json': 'application/json', '.f32': 'application/octet-stream' };

/** A connect middleware serving `mounts` from `base`; other paths go on to `next`. */
export function mountsMiddleware(mounts: Record<string, string>, base: string) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const path = decodeURIComponent((req.url ?? '').split('?')[0]);
    const prefix = Object.keys(mounts).find((p) => path.startsWith(p));
    if (prefix === undefined) return next();
    const root = resolve(base, mounts[prefix]);
    const file = resolve(root, path.slice(prefix.length));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.setHeader('Content-Type', CONTENT_TYPES[extname(file)] ?? 'application/octet-stream');
    res.end(readFileSync(file));
  };
}
