/**
 * The layers' dependencies point inward (README, Architecture): core imports nothing of ours outside
 * core; the engine imports only core and itself (its ports are implemented by src/store and
 * src/node, never imported by it: issue 13 §2); the store may import the engine's ports and core; the
 * surfaces (app, element) import nothing from the store.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

function sources(dir: string, tests = false): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path, tests);
    return entry.name.endsWith('.ts') && entry.name.endsWith('.test.ts') === tests ? [path] : [];
  });
}

/** The src folders (core, engine, ...) a file's relative imports and re-exports reach. */
function importedFolders(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import) '(\.{1,2}\/[^']+)'/g)].map(([, path]) => relative('src', resolve(dirname(file), path)).split(/[\\/]/)[0]);
}

describe('layers', () => {
  it.each([
    ['src/core', ['core']],
    ['src/engine', ['core']],
    ['src/store', ['core', 'engine']],
    // The surfaces reach the engine through its contract and the worker protocol, never the store.
    ['src/app', ['core', 'engine', 'protocol', 'browser', 'presets', 'pwa']],
    ['src/element', ['core', 'engine', 'protocol', 'browser', 'presets']],
  ])('%s imports only from %j (and itself)', (dir, allowed) => {
    const offending = sources(dir).flatMap((file) =>
      importedFolders(file)
        .filter((folder) => folder !== relative('src', dir) && !allowed.includes(folder))
        .map((folder) => `${file} -> ${folder}`),
    );
    expect(offending).toEqual([]);
  });

  it("src/engine's tests do not reach into src/store either (tests that wire the engine to the real store live in src/store)", () => {
    const offending = sources('src/engine', true).filter((file) => importedFolders(file).includes('store'));
    expect(offending).toEqual([]);
  });
});
