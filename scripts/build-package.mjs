#!/usr/bin/env node
/**
 * The npm package's build (`npm run build` runs it after the app's `vite build`; the pack-and-install
 * test runs it into a staging folder). Writes under OUT (default: this repository):
 *
 *   dist/lib/, dist/examples/     the element, its worker, ORT runtime and demo models (vite.lib.config.ts)
 *   dist/esm/                     the engine, Node adapters and CLI as plain ES modules + every entry's .d.ts
 *                                 (tsc -p tsconfig.build.json; JS not reachable from the Node entries is dropped:
 *                                 the element's JS is the Vite build)
 *   dist/custom-elements.json     the element's manifest from its JSDoc (scripts/custom-elements.ts)
 *
 *   node scripts/build-package.mjs [--out DIR]
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../', import.meta.url));
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = resolve(values.out ?? root);
const dist = join(out, 'dist');
const esm = join(dist, 'esm');
/** The Node entries (package.json exports and bin) whose JS the package ships. */
const NODE_ENTRIES = ['engine/index.js', 'node/index.js', 'cli/main.js'];

function run(command, args, env = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`build-package: ${command} ${args.join(' ')} failed (exit ${result.status})`);
    process.exit(1);
  }
}

const bin = (name) => join(root, 'node_modules/.bin', name);

// 1. The element library (browser): NODE_ENV=production, as `vite build` from npm scripts has it.
run(bin('vite'), ['build', '--config', 'vite.lib.config.ts', '--outDir', dist, '--logLevel', 'warn'], { NODE_ENV: 'production' });

// 2. Node code and declarations.
rmSync(esm, { recursive: true, force: true });
run(bin('tsc'), ['-p', 'tsconfig.build.json', '--outDir', esm]);
const reachable = new Set();
const visit = (path) => {
  if (reachable.has(path)) return;
  reachable.add(path);
  for (const [, specifier] of readFileSync(path, 'utf8').matchAll(/(?:from|import)\s*['"](\.{1,2}\/[^'"]+\.js)['"]/g)) {
    visit(resolve(dirname(path), specifier));
  }
};
for (const entry of NODE_ENTRIES) visit(join(esm, entry));
const files = (dir) => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]));
for (const file of files(esm)) if (file.endsWith('.js') && !reachable.has(file)) rmSync(file);

// 3. custom-elements.json.
run(process.execPath, ['--import', 'tsx', join(root, 'scripts/custom-elements.ts'), join(dist, 'custom-elements.json')]);
console.log(`build-package: ${dist} (lib, examples, esm: ${reachable.size} modules, custom-elements.json)`);
