/**
 * A fresh WeightStore per test for the Node weight-store tests (src/store/weight-store.test.ts,
 * weight-store-recovery.test.ts): its own model URL on the fault server (e2e/lib/fault-server.ts) and its own
 * IndexedDB database (fake-indexeddb), 100 000-byte chunks (not a multiple of 64, so the saved SHA-256 state
 * carries a partial block across chunks), retries after 1-4 ms, no storage or lock API, progress at every chunk.
 */
import { WeightStore, type WeightStoreOptions } from '../store/weight-store.js';

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
