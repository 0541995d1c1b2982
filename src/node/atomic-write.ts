/**
 * Output files written so that a failure leaves nothing behind: every file goes to a temporary
 * name next to its target, and only once all of them are complete are they renamed into place
 * (a rename within a folder is atomic). On any failure (a full disk, a missing folder) the
 * temporary files are removed and the targets are untouched.
 */
import { access, constants, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InvalidRequestError } from '../core/errors.js';

export interface FileSystem {
  writeFile(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: boolean }): Promise<void>;
}

const nodeFs: FileSystem = { writeFile, rename, rm };

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

/** Writes every file or none (see the file comment). */
export async function writeFilesAtomically(files: readonly { path: string; data: Uint8Array }[], fs: FileSystem = nodeFs): Promise<void> {
  const temps = files.map(({ path }) => `${path}.${process.pid}.partial`);
  try {
    for (const [i, { data }] of files.entries()) await fs.writeFile(temps[i], data);
  } catch (error) {
    await Promise.all(temps.map((temp) => fs.rm(temp, { force: true }).catch(() => undefined)));
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Could not write ${files.map((f) => f.path).join(' and ')}: ${reason}. Nothing was written.`);
  }
  for (const [i, { path }] of files.entries()) await fs.rename(temps[i], path);
}
