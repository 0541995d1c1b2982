/**
 * A static file server for tests that breaks on purpose: node:http, CORS, Range, and per-file
 * faults configured at run time. It logs every request (method, path, Range header, status, bytes
 * sent) so tests can assert what a client fetched, e.g. that a resumed download did not fetch
 * earlier bytes again.
 *
 *   const server = await startFaultServer({ root: 'fixtures/tiny-sd-fp32' });
 *   server.fault('unet/weights.pb', { cutAt: [100_000, 250_000] });
 *   fetch(`${server.url}any-label/unet/weights.pb`)   // first path segment: a free label
 *
 * URLs are `/<label>/<path in root>`: the label is ignored when finding the file, so each test can
 * use a fresh URL (a fresh model id for the weight store) over the same folder.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { open, stat } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export interface FileFault {
  /** Close the connection when a transfer reaches these absolute file offsets; each offset fires once. */
  cutAt?: number[];
  /** Answer with this HTTP status (404, 500, …) instead of the file, `times` times (default: always). */
  status?: number;
  /** Serve these bytes instead of the file. */
  body?: Uint8Array | string;
  contentType?: string;
  /** Ignore Range headers for this file: always 200 with the whole body. */
  noRange?: boolean;
  /** Destroy the connection before answering (server gone), `times` times (default: always). */
  drop?: boolean;
  /** How many requests `status` / `drop` apply to. */
  times?: number;
  /** Throttle the body to this many bytes per second. */
  bytesPerSecond?: number;
  /** Only for these methods (default: all), e.g. ['HEAD'] for a server that refuses HEAD. */
  methods?: string[];
  /** Send this ETag instead of the file's own; false: send none (a server without ETags). */
  etag?: string | false;
  /** Send this Last-Modified instead of the file's own (files from `root` have their mtime); false: send none. */
  lastModified?: string | false;
  /** Send the body without Content-Length and end it by closing the connection (HTTP/1.0 style). */
  closeDelimited?: boolean;
  /** Ignore If-Range (answer 206 even when the validator does not match), as some servers do. */
  ignoreIfRange?: boolean;
  /** Send the body gzip-compressed (Content-Encoding: gzip, Content-Length of the compressed bytes), always whole (200). */
  gzip?: boolean;
}

/** A file that exists only in memory or is generated on demand (for the 1.7 GB benchmark). */
export interface VirtualFile {
  size: number;
  read(offset: number, length: number): Uint8Array | Promise<Uint8Array>;
}

export interface RequestLog {
  method: string;
  /** Path within the root (label stripped). */
  path: string;
  label: string;
  range: string | null;
  ifRange: string | null;
  status: number;
  /** Body bytes written (before a cut). */
  bytesSent: number;
  /** First file offset of the body. */
  start: number;
  cut: boolean;
}

export interface FaultServerOptions {
  root?: string;
  port?: number;
  /** Extra or replacement files, by path. */
  files?: Record<string, Uint8Array | VirtualFile>;
  /** No Range support anywhere (a server that answers 200 to every Range request). */
  noRange?: boolean;
  /** Send CORS headers (default true). */
  cors?: boolean;
}

export interface FaultServer {
  readonly url: string;
  readonly port: number;
  readonly log: RequestLog[];
  options: FaultServerOptions;
  fault(path: string, fault: FileFault): void;
  clearFaults(): void;
  setFile(path: string, file: Uint8Array | VirtualFile): void;
  /** Requests for one file (label optional). */
  requests(path: string, label?: string): RequestLog[];
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

function contentType(path: string): string {
  const ext = path.slice(path.lastIndexOf('.'));
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}

/** Parses a single `bytes=` range against `size`; null when absent or unsatisfiable-by-us. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

export async function startFaultServer(options: FaultServerOptions = {}): Promise<FaultServer> {
  const faults = new Map<string, FileFault & { used: number }>();
  const files = new Map<string, Uint8Array | VirtualFile>(Object.entries(options.files ?? {}));
  const log: RequestLog[] = [];
  const sockets = new Set<import('node:net').Socket>();

  interface Resolved {
    size: number;
    etag: string;
    lastModified?: string;
    read: (offset: number, length: number) => Promise<Uint8Array>;
  }

  async function resolve(path: string): Promise<Resolved | null> {
    const file = files.get(path);
    if (file instanceof Uint8Array) {
      return { size: file.length, etag: `"mem-${file.length}"`, read: async (o, n) => file.subarray(o, o + n) };
    }
    if (file) return { size: file.size, etag: `"gen-${file.size}"`, read: async (o, n) => file.read(o, n) };
    if (!options.root) return null;
    const full = normalize(join(options.root, path));
    if (!full.startsWith(normalize(options.root))) return null;
    try {
      const info = await stat(full);
      if (!info.isFile()) return null;
      return {
        size: info.size,
        etag: `"${info.size}-${Math.floor(info.mtimeMs)}"`,
        lastModified: new Date(info.mtimeMs).toUTCString(),
        read: async (offset, length) => {
          const handle = await open(full, 'r');
          try {
            const buffer = new Uint8Array(length);
            const { bytesRead } = await handle.read(buffer, 0, length, offset);
            return buffer.subarray(0, bytesRead);
          } finally {
            await handle.close();
          }
        },
      };
    } catch {
      return null;
    }
  }

  function setCors(res: ServerResponse): void {
    if (options.cors === false) return;
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Range, Content-Length, ETag, Last-Modified, Accept-Ranges');
    res.setHeader('Access-Control-Allow-Headers', 'Range, If-Range, Content-Type');
    res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const segments = decodeURIComponent(url.pathname).split('/').filter(Boolean);
    const label = segments[0] ?? '';
    const path = segments.slice(1).join('/');
    const entry: RequestLog = {
      method: req.method ?? 'GET',
      path,
      label,
      range: req.headers.range ?? null,
      ifRange: typeof req.headers['if-range'] === 'string' ? req.headers['if-range'] : null,
      status: 0,
      bytesSent: 0,
      start: 0,
      cut: false,
    };
    log.push(entry);
    setCors(res);
    if (req.method === 'OPTIONS') {
      entry.status = 204;
      res.writeHead(204).end();
      return;
    }
    const configured = faults.get(`${label}/${path}`) ?? faults.get(path);
    const fault = configured && (!configured.methods || configured.methods.includes(req.method ?? 'GET')) ? configured : undefined;
    const applies = (f: FileFault & { used: number }) => f.times === undefined || f.used < f.times;
    if (fault?.drop && applies(fault)) {
      fault.used++;
      entry.cut = true;
      req.socket.destroy();
      return;
    }
    if (fault?.status && applies(fault)) {
      fault.used++;
      entry.status = fault.status;
      res.writeHead(fault.status, { 'Content-Type': 'text/plain' }).end(`fault: ${fault.status}`);
      return;
    }
    const body = fault?.body;
    const file: Resolved | null =
      body !== undefined
        ? (() => {
            const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
            return { size: bytes.length, etag: `"fault-${bytes.length}"`, read: async (o: number, n: number) => bytes.subarray(o, o + n) };
          })()
        : await resolve(path);
    if (!file) {
      entry.status = 404;
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const etag = fault?.etag === undefined ? file.etag : fault.etag;
    const lastModified = fault?.lastModified === undefined ? file.lastModified : fault.lastModified;
    // If-Range (RFC 9110 13.1.5): the Range applies only while the validator still matches the file.
    const ifRange = typeof req.headers['if-range'] === 'string' ? req.headers['if-range'] : undefined;
    const stale = !!ifRange && !fault?.ignoreIfRange && ifRange !== (ifRange.startsWith('"') || ifRange.startsWith('W/') ? etag : lastModified);
    const noRange = options.noRange || fault?.noRange;
    const range = noRange || stale ? null : parseRange(req.headers.range, file.size);
    const headers: Record<string, string | number> = {
      'Content-Type': fault?.contentType ?? contentType(path),
      'Cache-Control': 'no-cache',
    };
    if (etag) headers.ETag = etag;
    if (lastModified) headers['Last-Modified'] = lastModified;
    if (!noRange) headers['Accept-Ranges'] = 'bytes';
    if (fault?.gzip) {
      // Content-Encoding is not in Access-Control-Expose-Headers: a page on another origin sees the
      // compressed Content-Length but not that the body is compressed (as with most CDNs).
      const packed = gzipSync(await file.read(0, file.size));
      delete headers['Accept-Ranges'];
      entry.status = 200;
      res.writeHead(200, { ...headers, 'Content-Encoding': 'gzip', 'Content-Length': packed.length });
      if (req.method !== 'HEAD') entry.bytesSent = packed.length;
      res.end(req.method === 'HEAD' ? undefined : packed);
      return;
    }
    if (range === 'unsatisfiable') {
      entry.status = 416;
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${file.size}` }).end();
      return;
    }
    const start = range ? range.start : 0;
    const end = range ? range.end + 1 : file.size;
    entry.start = start;
    entry.status = range ? 206 : 200;
    if (fault?.closeDelimited) {
      res.useChunkedEncodingByDefault = false; // no Content-Length, no chunks: the body ends when the connection closes
      res.shouldKeepAlive = false;
    } else {
      headers['Content-Length'] = end - start;
    }
    if (range) headers['Content-Range'] = `bytes ${start}-${end - 1}/${file.size}`;
    res.writeHead(entry.status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    // The next cut inside this transfer, consumed when it fires.
    const cuts = fault?.cutAt ?? [];
    const cutIndex = cuts.findIndex((offset) => offset > start && offset < end);
    const stopAt = cutIndex >= 0 ? cuts[cutIndex]! : end;
    const piece = 1 << 20;
    const began = Date.now();
    for (let offset = start; offset < stopAt; ) {
      const length = Math.min(piece, stopAt - offset, fault?.bytesPerSecond ? Math.max(1, Math.floor(fault.bytesPerSecond / 20)) : piece);
      const bytes = await file.read(offset, length);
      if (res.destroyed) return;
      const ok = res.write(bytes);
      offset += bytes.length;
      entry.bytesSent += bytes.length;
      if (!ok) {
        await new Promise<void>((r) => {
          const done = () => {
            res.off('drain', done).off('close', done);
            r();
          };
          res.on('drain', done).on('close', done);
        });
      }
      if (fault?.bytesPerSecond) {
        const due = began + ((offset - start) / fault.bytesPerSecond) * 1000;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
      if (res.destroyed) return;
    }
    if (cutIndex >= 0) {
      cuts.splice(cutIndex, 1);
      entry.cut = true;
      // Flush what was written, then close the connection mid-body (a graceful FIN, so the client
      // receives every byte sent before the cut, then sees the body end short of Content-Length).
      await new Promise<void>((r) => res.write(new Uint8Array(0), () => r()));
      req.socket.end();
      setTimeout(() => req.socket.destroy(), 200);
      return;
    }
    res.end();
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(options.port ?? 0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    log,
    options,
    fault(path, fault) {
      faults.set(path, { ...fault, cutAt: fault.cutAt ? [...fault.cutAt] : undefined, used: 0 } as FileFault & { used: number });
    },
    clearFaults() {
      faults.clear();
    },
    setFile(path, file) {
      files.set(path, file);
    },
    requests(path, label) {
      return log.filter((entry) => entry.path === path && (label === undefined || entry.label === label));
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
