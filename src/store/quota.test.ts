import { describe, expect, it, vi } from 'vitest';
import { QuotaExceededError } from '../core/errors.js';
import { formatBytes } from '../core/format-bytes.js';
import { checkQuota, isQuotaError, requestPersistence, translateQuotaError } from './quota.js';

const GiB = 1024 ** 3;

describe('quota', () => {
  it('throws QuotaExceededError with the sizes involved when the model will not fit', async () => {
    const storage = { estimate: async () => ({ usage: 0.5 * GiB, quota: 2 * GiB }) };
    const check = checkQuota(1.7 * GiB, 'CompVis/stable-diffusion-v1-4', storage);
    await expect(check).rejects.toThrow(QuotaExceededError);
    await expect(checkQuota(1.7 * GiB, 'CompVis/stable-diffusion-v1-4', storage)).rejects.toThrow(
      /needs 1\.70 GiB but the browser allows this site only 1\.50 GiB more \(512\.0 MiB of 2\.00 GiB used\)/,
    );
  });

  it('passes when it fits, or when the browser cannot estimate', async () => {
    await expect(checkQuota(GiB, 'm', { estimate: async () => ({ usage: 0, quota: 10 * GiB }) })).resolves.toBeUndefined();
    await expect(checkQuota(GiB, 'm', { estimate: async () => ({}) })).resolves.toBeUndefined();
    await expect(checkQuota(GiB, 'm', { estimate: () => Promise.reject(new Error('nope')) })).resolves.toBeUndefined();
    await expect(checkQuota(GiB, 'm', undefined)).resolves.toBeUndefined();
  });

  it('asks for persistence once and reports the answer', async () => {
    const persist = vi.fn(async () => true);
    expect(await requestPersistence({ estimate: async () => ({}), persisted: async () => false, persist })).toBe(true);
    expect(persist).toHaveBeenCalledOnce();
    expect(await requestPersistence({ estimate: async () => ({}), persisted: async () => true, persist })).toBe(true);
    expect(persist).toHaveBeenCalledOnce();
    expect(await requestPersistence(undefined)).toBe(false);
  });

  it("turns the browser's QuotaExceededError DOMException into ours, with sizes", async () => {
    const dom = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    expect(isQuotaError(dom)).toBe(true);
    const error = await translateQuotaError(
      dom,
      { what: 'ORG/REPO', storedBytes: GiB, totalBytes: 2 * GiB },
      {
        estimate: async () => ({ usage: GiB, quota: GiB }),
      },
    );
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect((error as Error).message).toMatch(/ran out of storage for ORG\/REPO after 1\.00 GiB of 2\.00 GiB \(1\.00 GiB of 1\.00 GiB used\)/);
    const other = new TypeError('x');
    expect(await translateQuotaError(other, { what: 'm', storedBytes: 0, totalBytes: 0 })).toBe(other);
  });

  it('formats sizes', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(16 * 1024 * 1024)).toBe('16.0 MiB');
    expect(formatBytes(1.7 * GiB)).toBe('1.70 GiB');
  });
});
