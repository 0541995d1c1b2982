/**
 * Writes `manifest.json` (sizes and SHA-256 digests of every file) for a model folder, the format
 * src/store/manifest.ts reads:
 *
 *   node --import tsx tools/make-manifest.ts <folder>            # writes <folder>/manifest.json
 *   node --import tsx tools/make-manifest.ts <folder> --stdout   # prints it instead
 *
 * Dotfiles (.git, .gitattributes) and an existing manifest.json are left out. Run it again after
 * changing any file: the browser checks every downloaded file against it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MANIFEST_PATH, type Manifest } from '../src/store/manifest.js';

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}

export async function makeManifest(folder: string): Promise<Manifest> {
  const files: Manifest['files'] = [];
  for await (const full of walk(folder)) {
    const path = relative(folder, full).split(sep).join('/');
    if (path === MANIFEST_PATH) continue;
    files.push({ path, size: (await stat(full)).size, sha256: await sha256File(full) });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { version: 1, files };
}

async function main(args: string[]): Promise<void> {
  const folder = args.find((arg) => !arg.startsWith('--'));
  if (!folder) {
    console.error('usage: node --import tsx tools/make-manifest.ts <model folder> [--stdout]');
    process.exitCode = 2;
    return;
  }
  const text = `${JSON.stringify(await makeManifest(folder), null, 2)}\n`;
  if (args.includes('--stdout')) process.stdout.write(text);
  else {
    await writeFile(join(folder, MANIFEST_PATH), text);
    console.error(`wrote ${join(folder, MANIFEST_PATH)}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
