/**
 * Run limits as configuration gives them: numbers or numeric strings, where 0 or absence means
 * "no limit". A bad value is a ConfigError at start, not a run that silently never stops.
 */
import { ConfigError } from '../errors';

export type LimitInput = number | string | undefined | null;

/** Reads a limit; 0 means unlimited. `integer` rejects fractions (message counts). */
export function parseLimit(value: LimitInput, name: string, { integer = false } = {}): number {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return 0;
  const number = typeof value === 'number' ? value : Number(value.trim());
  if (!Number.isFinite(number) || number < 0 || (integer && !Number.isInteger(number))) {
    throw new ConfigError([`${name}: must be ${integer ? 'a whole number' : 'a number'} of at least 0 (0 means no limit)`]);
  }
  return number;
}
