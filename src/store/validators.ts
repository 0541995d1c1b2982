/**
 * RFC 9110 validators for resuming one file: what a response carries (ETag, Last-Modified), what
 * `If-Range` may send (a strong ETag, else Last-Modified), and whether a 206 continues the version
 * whose start is stored (same validators, the range asked for, the same total size).
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

/**
 * Why a 206 cannot continue the stored part, or undefined when it can: it must start at `from`, carry
 * the stored validators (unless a manifest digest will check the file) and the same total size.
 */
export function rangeProblem(
  record: FileRecord,
  response: Response,
  { start, from, total, checkValidators }: { start: number | undefined; from: number; total: number | null; checkValidators: boolean },
): string | undefined {
  if (start !== from) return 'the server sent another range than requested';
  if (checkValidators && !sameVersion(record, response)) return 'the file changed on the server (its ETag / Last-Modified differ)';
  if (total !== null && record.size !== null && total !== record.size) return `the file changed on the server (now ${total} bytes, was ${record.size})`;
  return undefined;
}
