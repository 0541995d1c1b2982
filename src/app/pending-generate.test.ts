/** A Generate during a load waits for it; during a generation it is refused in words (issue 25, smaller). */
import { describe, expect, it } from 'vitest';
import { PendingGenerate } from './pending-generate.js';

describe('PendingGenerate', () => {
  it('during a load: says so, and starts once after a successful load', () => {
    const p = new PendingGenerate();
    expect(p.ask('load')).toBe('The model is still loading: generating as soon as it is ready.');
    expect(p.pending).toBe(true);
    expect(p.take({ kind: 'done', images: 0 })).toBe(true);
    expect(p.take({ kind: 'done', images: 0 })).toBe(false);
  });

  it('a load that fails or is cancelled drops the waiting Generate', () => {
    const p = new PendingGenerate();
    p.ask('load');
    expect(p.take({ kind: 'cancelled', images: 0 })).toBe(false);
    p.ask('load');
    expect(p.take({ kind: 'error', error: new Error('404'), images: 0 })).toBe(false);
    expect(p.pending).toBe(false);
  });

  it('during a generation: refused with the reason, nothing remembered', () => {
    const p = new PendingGenerate();
    expect(p.ask('generate')).toBe('A picture is being made: wait for it to finish, or press Cancel.');
    expect(p.take({ kind: 'done', images: 1 })).toBe(false);
  });
});
