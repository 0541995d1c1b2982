/**
 * The element's entries import in Node (SSR, tests): no DOM is touched until a page defines or
 * constructs the element. (The packed package is checked the same way by src/package/pack-install.test.ts.)
 */
import { describe, expect, it } from 'vitest';

describe('the element modules in Node (no DOM)', () => {
  it('index.ts imports without defining anything or reading document, and exports defineSdTextToImage', async () => {
    expect(typeof (globalThis as { document?: unknown }).document).toBe('undefined');
    const element = await import('./index.js');
    expect(typeof element.defineSdTextToImage).toBe('function');
    expect(element.SdTextToImageElement.assetsUrl).toBeNull();
    expect(element.WORKER_FILE).toBe('engine.worker.js');
    // The shared engine exists but starts no worker until a job runs.
    expect(element.SdTextToImageElement.sharedEngine.started).toBe(false);
  });

  it('define.ts (the side-effect entry) does nothing outside a browser', async () => {
    await expect(import('./define.js')).resolves.toBeDefined();
    const { SdTextToImageElement } = await import('./index.js');
    expect(SdTextToImageElement.assetsUrl).toBeNull();
  });
});
