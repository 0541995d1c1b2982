/**
 * The part of `navigator.storage` the project uses (usage and quota, persistence), injectable for
 * tests and absent in Node. The weight store checks its quota with it; the app shows the estimate.
 */
export interface StorageLike {
  estimate(): Promise<{ usage?: number; quota?: number }>;
  persist?(): Promise<boolean>;
  persisted?(): Promise<boolean>;
}

export function defaultStorage(): StorageLike | undefined {
  return (globalThis.navigator as { storage?: StorageLike } | undefined)?.storage;
}
