/** Small, strict argument parsing for the CLI: unknown flags and bad numbers are errors, not ignored. */
import { parseArgs } from 'node:util';
import { parseDecimal } from '../core/decimal.js';
import { InvalidRequestError } from '../core/errors.js';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

export function parseFlags<T extends FlagSpec>(argv: string[], spec: T) {
  try {
    return parseArgs({ args: argv, options: spec, allowPositionals: true, strict: true });
  } catch (error) {
    throw new InvalidRequestError((error as Error).message);
  }
}

export function intFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new InvalidRequestError(`--${name} must be an integer (got "${value}").`);
  return Number(value);
}

/** A number flag, for the request validator to judge (it says what range and kind it needs). */
export function numberFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = parseDecimal(value);
  if (n === null) throw new InvalidRequestError(`--${name} must be a decimal number (got "${value}").`);
  return n;
}

export function requireFlag(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new InvalidRequestError(`--${name} is required.`);
  return value;
}
