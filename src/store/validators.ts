/**
 * RFC 9110 validators for resuming one file: what a response carries (ETag, Last-Modified), what
 * `If-Range` may send (a strong ETag, else Last-Modified), and whether a 206 comes from the version
 * whose start is stored.
 */
import type { FileRecord } from './records.js';

/** The validators a response carries (Last-Modified is CORS-safelisted; ETag needs Access-Control-Expose-Headers). */
export function validatorsOf(response: Response): Pick<FileRecord, 'etag' | 'lastModified'> {
  const out: Pick<FileRecord, 'etag' | 'lastModified'> = {};
  const etag = response.headers.get('etag');
  const lastModified = response.headers.get('last-modified');
  if (etag) out.etag = etag;
  if (lastModified) out.lastModified = lastModified;
  return out;
}

/** What `If-Range` may carry: a strong ETag, else Last-Modified (weak ETags are not allowed there). */
export function ifRangeValidator(record: FileRecord): string | undefined {
  return record.etag && !record.etag.startsWith('W/') ? record.etag : record.lastModified;
}

/** Whether a 206 comes from the version whose start is stored: a shared validator matches and none differs. */
export function sameVersion(record: FileRecord, response: Response): boolean {
  const now = validatorsOf(response);
  const pairs = (['etag', 'lastModified'] as const).filter((key) => record[key] !== undefined && now[key] !== undefined);
  return pairs.length > 0 && pairs.every((key) => record[key] === now[key]);
}
