/**
 * The bytes of one file on their way into the ChunkStore: network pieces are copied into fixed-size
 * chunk buffers, hashed as they arrive (the whole-file SHA-256, so hashing overlaps the transfer),
 * and each full chunk is committed together with the file record listing its digest and the
 * hasher's state (so a later session resumes from there).
 *
 * Memory: two chunk buffers (one filling from the network while the other is being written), never
 * the whole file. The first bytes of a file are handed to `checkStart` once (file-format.ts: HTML
 * pages, git-lfs pointers, non-ONNX) before they are stored.
 */
import type { ChunkStore } from './chunk-store.js';
import { SNIFF_BYTES } from './file-format.js';
import type { FileRecord } from './records.js';
import { Sha256, sha256Native, type Sha256State } from './sha256.js';

export class ChunkWriter {
  readonly #store: ChunkStore;
  readonly #id: string;
  readonly #chunkSize: number;
  readonly #checkStart: (head: Uint8Array) => void;
  #rec: FileRecord;
  #hasher: Sha256;
  /** Two chunk buffers: #buffers[#current] fills while the other may be in a pending commit. */
  #buffers: (Uint8Array | null)[] = [null, null];
  #current = 0;
  #fill = 0;
  #pending: Promise<void> = Promise.resolve();
  #pendingBytes = 0;
  #sniffed: boolean;

  /** Continues `record` (its stored chunks and hasher state). */
  constructor(store: ChunkStore, id: string, chunkSize: number, record: FileRecord, checkStart: (head: Uint8Array) => void) {
    this.#store = store;
    this.#id = id;
    this.#chunkSize = chunkSize;
    this.#checkStart = checkStart;
    this.#rec = record;
    this.#hasher = record.hash ? Sha256.restore(record.hash) : new Sha256();
    this.#sniffed = record.storedBytes > 0;
  }

  /** The file record of the committed chunks (replaced by each commit; its size and validators may be set). */
  get record(): FileRecord {
    return this.#rec;
  }

  /** Bytes of the file we hold: committed, being committed, and in the filling buffer. */
  get offset(): number {
    return this.#rec.storedBytes + this.#pendingBytes + this.#fill;
  }

  /** The whole-file SHA-256 (hex) of the bytes accepted so far. */
  hex(): string {
    return this.#hasher.hex();
  }

  /**
   * The last `n` bytes held (n ≤ offset), from the filling buffer and the stored chunks, for a
   * resume to compare with the server's. A stored chunk that is missing reads as zeros (the
   * comparison then fails and the file starts again).
   */
  async tail(n: number): Promise<Uint8Array> {
    await this.settle();
    const out = new Uint8Array(n);
    let end = n;
    const buffer = this.#buffers[this.#current];
    const fromBuffer = Math.min(this.#fill, end);
    if (buffer && fromBuffer > 0) out.set(buffer.subarray(this.#fill - fromBuffer, this.#fill), end - fromBuffer);
    end -= fromBuffer;
    for (let index = this.#rec.chunks.length - 1; end > 0 && index >= 0; index--) {
      const chunk = (await this.#store.getChunk(this.#id, this.#rec.path, index)) ?? new Uint8Array(this.#rec.chunkSize);
      const take = Math.min(chunk.length, end);
      out.set(chunk.subarray(chunk.length - take), end - take);
      end -= take;
    }
    return out;
  }

  /** Copies network bytes into the chunk buffer, committing every full chunk. */
  async accept(bytes: Uint8Array): Promise<void> {
    const chunkSize = this.#chunkSize;
    for (let pos = 0; pos < bytes.length; ) {
      let buffer = this.#buffers[this.#current];
      if (!buffer || (this.#fill === buffer.length && buffer.length < chunkSize)) {
        // Small files get a buffer of their size; grow when a server sends more than it announced.
        const remaining = this.#rec.size !== null ? this.#rec.size - this.#rec.storedBytes - this.#pendingBytes : chunkSize;
        const grown = new Uint8Array(Math.min(chunkSize, Math.max(remaining, this.#fill + bytes.length - pos, (buffer?.length ?? 0) * 2)));
        if (buffer) grown.set(buffer.subarray(0, this.#fill));
        buffer = this.#buffers[this.#current] = grown;
      }
      const n = Math.min(buffer.length - this.#fill, bytes.length - pos);
      const piece = bytes.subarray(pos, pos + n);
      buffer.set(piece, this.#fill);
      // Hash as the bytes arrive, so hashing overlaps the network instead of stalling it per chunk.
      this.#hasher.update(piece);
      this.#fill += n;
      pos += n;
      if (this.#fill >= SNIFF_BYTES) this.#sniff();
      if (this.#fill === chunkSize) await this.#flush();
    }
  }

  /** After the last byte: stores the last chunk (checking the start of a file shorter than SNIFF_BYTES first). */
  async close(): Promise<void> {
    this.#sniff();
    if (this.#fill > 0) await this.#flush();
    await this.settle();
  }

  /** Waits for the pending commit; rethrows its failure (e.g. quota). */
  async settle(): Promise<void> {
    const pending = this.#pending;
    this.#pending = Promise.resolve();
    await pending;
  }

  /** Discards what is stored of the file (chunks and record, in one transaction) and starts `record` afresh. */
  async reset(record: FileRecord): Promise<void> {
    await this.settle();
    this.#rec = record;
    await this.#store.resetFile(this.#id, record);
    this.#hasher = new Sha256();
    this.#fill = 0;
    this.#sniffed = false;
  }

  /** Checks the file's first bytes once, while nothing of it is stored. */
  #sniff(): void {
    if (this.#sniffed || this.#rec.storedBytes !== 0 || this.#pendingBytes !== 0) return;
    const buffer = this.#buffers[this.#current];
    this.#checkStart(buffer ? buffer.subarray(0, this.#fill) : new Uint8Array(0));
    this.#sniffed = true;
  }

  /** Starts committing the filled buffer (after the previous commit finished) and switches buffers. */
  async #flush(): Promise<void> {
    await this.#pending;
    const buffer = this.#buffers[this.#current]!;
    const n = this.#fill;
    // A view of part of a buffer would store the whole buffer (structured clone copies the ArrayBuffer).
    const chunk = n === buffer.length ? buffer : buffer.slice(0, n);
    this.#pendingBytes = n;
    this.#fill = 0;
    this.#current ^= 1;
    // The hasher has taken exactly the bytes up to this chunk's end: its state resumes from there.
    this.#pending = this.#commit(chunk, this.#hasher.save());
    // Keep the rejection for settle(); without this the promise would count as unhandled.
    this.#pending.catch(() => {});
  }

  async #commit(chunk: Uint8Array, hash: Sha256State): Promise<void> {
    const next: FileRecord = {
      ...this.#rec,
      chunks: [...this.#rec.chunks, await sha256Native(chunk)],
      storedBytes: this.#rec.storedBytes + chunk.length,
      hash,
    };
    // A failed write (quota) ends this download; what was committed before stays consistent.
    await this.#store.commitChunk(this.#id, next, this.#rec.chunks.length, chunk);
    this.#rec = next;
    this.#pendingBytes = 0;
  }
}
