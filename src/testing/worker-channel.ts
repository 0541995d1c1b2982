/**
 * The page <-> worker protocol in Node, for tests: a LocalEngine (wasm backend, no WebGPU; model folders on
 * disk through DirectoryModelStore stand in for the browser's WeightStore, tested in src/store) served by
 * serveEngine on one end of a MessageChannel, a WorkerEngine on the other (src/protocol/worker-host.ts,
 * worker-engine.ts).
 */
import { MessageChannel } from 'node:worker_threads';
import { LocalEngine } from '../engine/local-engine.js';
import { wasmOnlyCapabilities } from '../engine/runtime/capabilities.js';
import { DirectoryModelStore } from '../node/directory-store.js';
import { wasmRuntime } from '../node/ort-node.js';
import { WorkerEngine } from '../protocol/worker-engine.js';
import { type PortLike, serveEngine } from '../protocol/worker-host.js';

/** The WorkerEngine, and close() that closes both ends of the channel. */
export function wasmEngineOverChannel(): { engine: WorkerEngine; close: () => void } {
  const channel = new MessageChannel();
  const detect = async () => wasmOnlyCapabilities('no WebGPU in Node');
  serveEngine(new LocalEngine({ ort: wasmRuntime(), store: new DirectoryModelStore(), detect }), channel.port1 as unknown as PortLike);
  const engine = new WorkerEngine(() => ({
    postMessage: (message) => channel.port2.postMessage(message),
    addEventListener: (type, listener) => channel.port2.on(type, (data) => listener({ data } as MessageEvent)),
    terminate: () => channel.port2.close(),
  }));
  return {
    engine,
    close: () => {
      channel.port1.close();
      channel.port2.close();
    },
  };
}
