/** The element's `loras` property checks and URL fetching (element-loras.ts), with a counting fake fetch. */
import { describe, expect, it } from 'vitest';
import { checkElementLoras, resolveElementLoras } from './element-loras.js';

describe('element loras', () => {
  it('accepts Blobs and URLs with finite weights (default 1) and refuses anything else', () => {
    const blob = new Blob([new Uint8Array(3)]);
    expect(checkElementLoras([{ file: blob, weight: 0.5 }, { file: 'a.safetensors' }])).toEqual([
      { file: blob, weight: 0.5 },
      { file: 'a.safetensors', weight: 1 },
    ]);
    expect(() => checkElementLoras('a.safetensors')).toThrow(TypeError);
    expect(() => checkElementLoras([{ file: 3, weight: 1 }])).toThrow('loras[0].file');
    expect(() => checkElementLoras([{ file: blob, weight: Number.NaN }])).toThrow('loras[0].weight');
  });

  it('fetches a URL once, resolved against the page, and posts the same Blob each time; a Blob goes as it is', async () => {
    const fetched: string[] = [];
    const fetcher = (async (url: string) => {
      fetched.push(url);
      return new Response(new Uint8Array([1, 2]));
    }) as unknown as typeof fetch;
    const cache = new Map<string, Promise<Blob>>();
    const own = new File([new Uint8Array(1)], 'mine.safetensors');
    const first = await resolveElementLoras(
      [
        { file: 'loras/style%20a.safetensors', weight: 0.8 },
        { file: own, weight: -1 },
      ],
      'https://site.test/page/',
      cache,
      fetcher,
    );
    const second = await resolveElementLoras([{ file: 'https://site.test/page/loras/style%20a.safetensors', weight: 1 }], 'https://site.test/', cache, fetcher);
    expect(fetched).toEqual(['https://site.test/page/loras/style%20a.safetensors']);
    expect(first.map((l) => [l.name, l.weight])).toEqual([
      ['style a.safetensors', 0.8],
      ['mine.safetensors', -1],
    ]);
    expect(first[1]!.data).toBe(own);
    expect(second[0]!.data).toBe(first[0]!.data);
  });

  it('refuses a URL that answers with an error, and tries it again next time', async () => {
    let status = 404;
    const fetcher = (async () => new Response('x', { status })) as unknown as typeof fetch;
    const cache = new Map<string, Promise<Blob>>();
    await expect(resolveElementLoras([{ file: '/x.safetensors', weight: 1 }], 'https://site.test/', cache, fetcher)).rejects.toThrow('HTTP 404');
    status = 200;
    await expect(resolveElementLoras([{ file: '/x.safetensors', weight: 1 }], 'https://site.test/', cache, fetcher)).resolves.toHaveLength(1);
  });
});
