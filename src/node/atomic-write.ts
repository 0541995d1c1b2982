/**
 * Output files written so that a failure leaves nothing behind: every file goes to a temporary
 * name next to its target, and only once all of them are complete are they moved into place. An
 * existing target is first kept under a backup name (a hard link), so that when a later move fails
 * every target is put back as it was. On any failure (a full disk, a missing folder) the temporary
 * files are removed and the targets are untouched. Two outputs that name one file by different
 * strings (`o.png`, `./o.png`, `sub/../o.png`, a symlink, a hard link) are refused before any work.
 */
import { access, constants, link, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InvalidRequestError } from '../core/errors.js';

export interface FileSystem {
  writeFile(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: boolean }): Promise<void>;
  /** A second name for an existing file (for the backup of a target that is replaced). */
  link(existing: string, path: string): Promise<void>;
}

const nodeFs: FileSystem = { writeFile, rename, rm, link };

/** Throws InvalidRequestError (before any work) when `path` cannot be written: its folder is missing or read-only, or it is a folder. */
export async function checkOutputPath(path: string, flag: string): Promise<void> {
  const folder = dirname(resolve(path));
  const info = await stat(folder).catch(() => null);
  if (!info?.isDirectory()) throw new InvalidRequestError(`--${flag} ${path}: the folder ${folder} does not exist; create it first.`);
  await access(folder, constants.W_OK).catch(() => {
    throw new InvalidRequestError(`--${flag} ${path}: the folder ${folder} is not writable.`);
  });
  if ((await stat(path).catch(() => null))?.isDirectory()) throw new InvalidRequestError(`--${flag} ${path} is a folder; give a file name.`);
}

/** The file `path` names, whatever its spelling: the real path of its folder plus its name (and the inode when it exists). */
async function fileIdentity(path: string): Promise<string> {
  const absolute = resolve(path);
  const folder = await realpath(dirname(absolute)).catch(() => dirname(absolute));
  const info = await stat(absolute).catch(() => null);
  return info ? `inode ${info.dev}:${info.ino}` : join(folder, basename(absolute));
}

/**
 * Every output's checks (checkOutputPath), then that no two name the same file: throws
 * InvalidRequestError before any work, e.g. for `--out /tmp/a/o.png --raw /tmp/a/./o.png`.
 */
export async function checkOutputPaths(outputs: readonly { path: string; flag: string }[]): Promise<void> {
  for (const { path, flag } of outputs) await checkOutputPath(path, flag);
  const seen = new Map<string, { path: string; flag: string }>();
  for (const output of outputs) {
    const id = await fileIdentity(output.path);
    const earlier = seen.get(id);
    if (earlier)
      throw new InvalidRequestError(`--${earlier.flag} ${earlier.path} and --${output.flag} ${output.path} name the same file; give each output its own file.`);
    seen.set(id, output);
  }
}

/** Writes every file or none (see the file comment). */
export async function writeFilesAtomically(files: readonly { path: string; data: Uint8Array }[], fs: FileSystem = nodeFs): Promise<void> {
  const names = files.map((f) => f.path).join(' and ');
  if (new Set(files.map(({ path }) => resolve(path))).size !== files.length)
    throw new InvalidRequestError(`Could not write ${names}: two of them are the same file. Nothing was written.`);
  const temps = files.map(({ path }, i) => `${path}.${process.pid}-${i}.partial`);
  const backups = files.map(({ path }, i) => `${path}.${process.pid}-${i}.previous`);
  const removeAll = (paths: string[]) => Promise.all(paths.map((p) => fs.rm(p, { force: true }).catch(() => undefined)));
  const fail = async (error: unknown): Promise<never> => {
    await removeAll([...temps, ...backups]);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Could not write ${names}: ${reason}. Nothing was written.`);
  };
  try {
    for (const [i, { data }] of files.entries()) await fs.writeFile(temps[i], data);
  } catch (error) {
    return fail(error);
  }
  // Keep each existing target under a second name, so a failed move below can put it back.
  const hadTarget: boolean[] = [];
  for (const [i, { path }] of files.entries()) {
    try {
      await fs.link(path, backups[i]);
      hadTarget.push(true);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return fail(error);
      hadTarget.push(false);
    }
  }
  const moved: number[] = [];
  try {
    for (const [i, { path }] of files.entries()) {
      await fs.rename(temps[i], path);
      moved.push(i);
    }
  } catch (error) {
    for (const i of moved) {
      if (hadTarget[i]) await fs.rename(backups[i], files[i].path).catch(() => undefined);
      else await fs.rm(files[i].path, { force: true }).catch(() => undefined);
    }
    return fail(error);
  }
  await removeAll(backups);
}
