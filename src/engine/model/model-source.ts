/**
 * Where a model folder's files come from: a URL (fetch), a directory on disk (Node), or the
 * browser's weight store (IndexedDB). Paths are relative to the folder root in diffusers' ONNX
 * layout, e.g. "model_index.json", "unet/model.onnx", "unet/weights.pb" (external data, named in the graph), "tokenizer/vocab.json".
 */
export interface ModelSource {
  /** A short human-readable name for messages and PNG metadata (e.g. "shapes-sd-fp16"). */
  readonly name: string;
  /** Whether the file exists (used for optional files: tokenizer.json, vae_encoder, weights.pb). */
  has(path: string): Promise<boolean>;
  /** The whole file. Throws ModelFileMissingError when it does not exist. */
  readBytes(path: string): Promise<Uint8Array>;
  readText(path: string): Promise<string>;
  /**
   * Where the file lies on this machine, for sources on disk (Node): the runtime then reads it
   * itself, in pieces, instead of receiving one buffer (files over 2 GiB). Absent in browsers.
   */
  localPath?(path: string): string;
}
