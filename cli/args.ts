// Argument parsing for every command: node:util parseArgs with a usage error that names the problem.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidInputError } from '../functions/domain/errors.js';

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: string[],
  options: T,
) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new InvalidInputError(`flatline ${command}: ${(err as Error).message}`);
  }
}

/** Parses "2s", "500ms", "1.5" (seconds) into milliseconds. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new InvalidInputError(`${what}: "${text}" is not a duration (e.g. 2s, 500ms)`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}
