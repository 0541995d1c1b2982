/** Outputs are written whole or not at all (issue 12, item 4): a full disk mid-write leaves no file. */
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOutputPath, checkOutputPaths, writeFilesAtomically, type FileSystem } from './atomic-write.js';
import { link, rename, rm } from 'node:fs/promises';

const dir = () => mkdtempSync(join(tmpdir(), 'sd-atomic-'));

/** Node's fs, except that writes stop with ENOSPC after `budget` bytes in all (part of the file lands, as on a full disk). */
function fullDiskAfter(budget: number): FileSystem {
  let left = budget;
  return {
    rename,
    rm,
    link,
    async writeFile(path, data) {
      const n = Math.min(left, data.length);
      left -= n;
      await writeFile(path, data.subarray(0, n));
      if (n < data.length) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    },
  };
}

describe('writeFilesAtomically', () => {
  it('writes every file', async () => {
    const d = dir();
    await writeFilesAtomically([
      { path: join(d, 'a.png'), data: Uint8Array.of(1, 2) },
      { path: join(d, 'a.f32'), data: Uint8Array.of(3) },
    ]);
    expect(readdirSync(d).sort()).toEqual(['a.f32', 'a.png']);
  });

  it.each([
    ['in the PNG', 5],
    ['in the raw file, after the PNG was complete', 12],
  ])('a full disk %s leaves no output and no temporary file, and an older file untouched', async (_, budget) => {
    const d = dir();
    writeFileSync(join(d, 'old.png'), 'old');
    const files = [
      { path: join(d, 'old.png'), data: new Uint8Array(10).fill(7) },
      { path: join(d, 'b.f32'), data: new Uint8Array(10) },
    ];
    await expect(writeFilesAtomically(files, fullDiskAfter(budget))).rejects.toThrow(
      /^Could not write .*old\.png and .*b\.f32: ENOSPC: no space left on device, write\. Nothing was written\.$/,
    );
    expect(readdirSync(d)).toEqual(['old.png']);
    expect(readFileSync(join(d, 'old.png'), 'utf8')).toBe('old');
    expect(existsSync(join(d, 'b.f32'))).toBe(false);
  });
});

describe('checkOutputPath', () => {
  it('accepts a file in an existing folder, refuses a missing folder or a folder as the file', async () => {
    const d = dir();
    await expect(checkOutputPath(join(d, 'x.png'), 'out')).resolves.toBeUndefined();
    await expect(checkOutputPath(join(d, 'no', 'x.png'), 'out')).rejects.toMatchObject({
      name: 'InvalidRequestError',
      message: expect.stringContaining('does not exist'),
    });
    await expect(checkOutputPath(d, 'raw')).rejects.toMatchObject({ name: 'InvalidRequestError', message: expect.stringContaining('is a folder') });
  });
});

describe('issue 25 item 1: one file named twice, and a move that fails half-way', () => {
  it('checkOutputPaths refuses two spellings, a symlinked folder and a hard link of one file', async () => {
    const d = dir();
    mkdirSync(join(d, 'sub'));
    symlinkSync(d, join(d, 'alias'));
    writeFileSync(join(d, 'o.png'), 'old');
    linkSync(join(d, 'o.png'), join(d, 'hard.png'));
    const same = { name: 'InvalidRequestError', message: expect.stringContaining('name the same file') };
    for (const other of [join(d, '.', 'o.png'), `${d}/sub/../o.png`, join(d, 'alias', 'o.png'), join(d, 'hard.png')]) {
      await expect(
        checkOutputPaths([
          { path: join(d, 'o.png'), flag: 'out' },
          { path: other, flag: 'raw' },
        ]),
        other,
      ).rejects.toMatchObject(same);
    }
    await expect(
      checkOutputPaths([
        { path: join(d, 'new.png'), flag: 'out' },
        { path: join(d, '.', 'new.png'), flag: 'raw' },
      ]),
    ).rejects.toMatchObject(same);
    await expect(
      checkOutputPaths([
        { path: join(d, 'o.png'), flag: 'out' },
        { path: join(d, 'o.f32'), flag: 'raw' },
      ]),
    ).resolves.toBeUndefined();
  });

  it('a second move that fails puts the first target back as it was: all or nothing', async () => {
    const d = dir();
    writeFileSync(join(d, 'o.png'), 'old picture');
    let moves = 0;
    const failingSecondMove: FileSystem = {
      writeFile,
      rm,
      link,
      async rename(from, to) {
        if (from.endsWith('.partial') && ++moves === 2) throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
        await rename(from, to);
      },
    };
    const files = [
      { path: join(d, 'o.png'), data: Uint8Array.of(1) },
      { path: join(d, 'o.f32'), data: Uint8Array.of(2) },
    ];
    await expect(writeFilesAtomically(files, failingSecondMove)).rejects.toThrow(/EIO.*Nothing was written\.$/);
    expect(readdirSync(d)).toEqual(['o.png']);
    expect(readFileSync(join(d, 'o.png'), 'utf8')).toBe('old picture');
  });

  it('writeFilesAtomically refuses one path given twice and leaves the old file', async () => {
    const d = dir();
    writeFileSync(join(d, 'o.png'), 'old');
    await expect(
      writeFilesAtomically([
        { path: join(d, 'o.png'), data: Uint8Array.of(1) },
        { path: join(d, '.', 'o.png'), data: Uint8Array.of(2) },
      ]),
    ).rejects.toThrow(/same file/);
    expect(readdirSync(d)).toEqual(['o.png']);
    expect(readFileSync(join(d, 'o.png'), 'utf8')).toBe('old');
  });
});
