/**
 * A fresh WeightStore per test for the Node weight-store tests (src/store/weight-store.test.ts,
 * weight-store-recovery.test.ts), and the fault server (e2e/lib/fault-server.ts) over fixtures/tiny-sd-fp32 that
 * serves them: each store has its own model URL on the server and its own
 * IndexedDB database (fake-indexeddb), 100 000-byte chunks (not a multiple of 64, so the saved SHA-256 state
 * carries a partial block across chunks), retries after 1-4 ms, no storage or lock API, progress at every chunk.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type FaultServer, startFaultServer } from '../../e2e/lib/fault-server.js';
import { WeightStore, type WeightStoreOptions } from '../store/weight-store.js';
import { TINY_SD_FP32 } from './tiny-sd-files.js';

export const STORE_CHUNK = 100_000;

/** `make` builds another WeightStore over the same database (a reload), with `extra` options on top. */
export function testWeightStore(serverUrl: string, label: string, dbName: string, options: WeightStoreOptions = {}) {
  const make = (extra: WeightStoreOptions = {}) =>
    new WeightStore({
      dbName,
      chunkSize: STORE_CHUNK,
      retry: { baseDelayMs: 1, maxDelayMs: 4 },
      storage: null,
      locks: null,
      progressIntervalMs: 0,
      ...options,
      ...extra,
    });
  const url = `${serverUrl}${label}/`;
  return { label, dbName, url, id: url, store: make(), make };
}

/**
 * For one test file: the fault server over fixtures/tiny-sd-fp32, started before its tests (and handed to
 * `started`), its faults cleared before each test, closed after; returns fresh(), a store on a new label
 * (`${labelPrefix}1`, 2, ...) and database (`${dbPrefix}1`, 2, ...) per call.
 */
export function weightStoreTestbed(labelPrefix: string, dbPrefix: string, started: (server: FaultServer) => void) {
  let server: FaultServer;
  let counter = 0;
  beforeAll(async () => {
    server = await startFaultServer({ root: TINY_SD_FP32 });
    started(server);
  });
  afterAll(() => server.close());
  beforeEach(() => server.clearFaults());
  return (options: WeightStoreOptions = {}) => {
    counter++;
    return testWeightStore(server.url, `${labelPrefix}${counter}`, `${dbPrefix}${counter}`, options);
  };
}
