/**
 * Sniffs the first bytes of a downloaded file, so a wrong answer from the server fails with a clear
 * message at once instead of as "protobuf parsing failed" in onnxruntime after a 1.7 GB download.
 *
 * What servers send instead of model files: HTML error or login pages (gated repositories, bad
 * links), JSON error bodies, and git-lfs pointer files ("version https://git-lfs.github.com/…",
 * ~130 bytes) when a repository is served without its LFS content.
 *
 * An ONNX file is a serialised `onnx.ModelProto` (onnx/onnx.proto3). Its first byte is a protobuf
 * field tag, `(field_number << 3) | wire_type`; exporters write field 1 `ir_version` first (0x08).
 * We accept the single-byte tags of ModelProto's fields 1-8 and 14 with their wire types.
 */
import { ModelFormatError } from '../core/errors.js';

/** How many leading bytes `checkFileStart` wants (fewer only when the file is shorter). */
export const SNIFF_BYTES = 64;

const MODEL_PROTO_FIRST_TAGS = new Set([0x08, 0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72]);

const ascii = (bytes: Uint8Array) => String.fromCharCode(...bytes.subarray(0, SNIFF_BYTES));

/** Throws ModelFormatError when `head` (the file's first bytes) cannot be the start of `path`. */
export function checkFileStart(path: string, head: Uint8Array, url: string, size?: number): void {
  const text = ascii(head)
    .replace(/^\uFEFF|^\xEF\xBB\xBF/, '')
    .trimStart();
  if (text.startsWith('version https://git-lfs')) {
    throw new ModelFormatError(
      `${url} is a git-lfs pointer file (${size ?? head.length} bytes), not ${path} itself: the server has the repository without its LFS content. ` +
        'On Hugging Face use the …/resolve/<revision>/ URL; for your own folder run `git lfs pull` before serving it.',
    );
  }
  if (/^<(!doctype|html|head|body|\?xml)/i.test(text)) {
    throw new ModelFormatError(
      `${url} returned an HTML page instead of ${path} (an error, login or license page). ` +
        'Check the URL; a gated Hugging Face model needs its license accepted and cannot be fetched anonymously from a browser.',
    );
  }
  if (path.endsWith('.onnx')) {
    if (head.length === 0) throw new ModelFormatError(`${url} is empty; ${path} should be an ONNX model. Re-export or re-upload the model.`);
    if (text.startsWith('{') || text.startsWith('[')) {
      throw new ModelFormatError(`${url} returned JSON instead of the ONNX model ${path} (likely an error message from the server). Check the URL.`);
    }
    if (!MODEL_PROTO_FIRST_TAGS.has(head[0]!)) {
      const hex = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new ModelFormatError(
        `${url} is not an ONNX model (it starts with bytes ${hex}; an ONNX ModelProto starts with a protobuf tag such as 08 for ir_version). ` +
          'The file may be compressed, truncated or of another format; point the URL at a diffusers ONNX export.',
      );
    }
  } else if (path.endsWith('.json') && !(text.startsWith('{') || text.startsWith('['))) {
    throw new ModelFormatError(`${url} is not JSON, but ${path} must be. Check that the URL points at the model folder.`);
  }
}

/**
 * Throws ModelFormatError when a whole `.json` file does not parse: a copy served short with a
 * matching Content-Length would otherwise be stored as complete and fail only when loaded.
 */
export function checkJsonFile(path: string, bytes: Uint8Array, url: string): void {
  try {
    JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ModelFormatError(
      `${path} is not valid JSON (${error instanceof Error ? error.message : String(error)}; ${url}, ${bytes.length} bytes): the server's copy is incomplete or damaged. Upload the folder again.`,
    );
  }
}
