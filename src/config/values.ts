// Value parsers for settings: each turns a raw value into a typed one or throws a CorralError
// that names the setting, the value and what is allowed. Used by every process that reads configuration.
import { CorralError } from '../errors.js';

/** A raw value that failed to parse; the registry adds the setting's name before it reaches a user. */
export class BadValue extends Error {
  /** `item` is the offending element when the raw value is a list, so messages show it rather than the whole list. */
  constructor(
    readonly allowed: string,
    readonly item?: { value: unknown },
  ) {
    super(allowed);
  }
}

export function invalid(name: string, raw: unknown, allowed: string, source?: string): CorralError {
  const shown = typeof raw === 'string' ? JSON.stringify(raw) : safeShow(raw);
  const from = source ? ` (from ${source})` : '';
  return new CorralError(
    'CORRAL_ERR_CONFIG_INVALID_VALUE',
    `invalid value for ${name}: ${shown}${from}; expected ${allowed}`,
  );
}

function safeShow(raw: unknown): string {
  try {
    if (typeof raw === 'number') return String(raw); // NaN and Infinity, which JSON shows as null
    return typeof raw === 'function' ? '[function]' : JSON.stringify(raw) ?? String(raw);
  } catch {
    return String(raw);
  }
}

export function parseInt_(raw: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*[+-]?\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new BadValue(max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`);
  }
  return n;
}

export function parseSeconds(raw: unknown, min = 0): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n < min) throw new BadValue(`a number of seconds >= ${min}`);
  return n;
}

export function parseBool(raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string') {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  }
  throw new BadValue('true or false');
}

export function parseEnum<T extends string>(raw: unknown, choices: readonly T[]): T {
  if (typeof raw === 'string' && (choices as readonly string[]).includes(raw.trim().toLowerCase())) {
    return raw.trim().toLowerCase() as T;
  }
  throw new BadValue(`one of ${choices.join(', ')}`);
}

export function parseString(raw: unknown, what = 'a non-empty string'): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw new BadValue(what);
  return raw;
}

/** A list from a config-file array or a CLI value (comma-separated where `splitCommas`). */
export function parseList(raw: unknown, item: (s: unknown) => string, splitCommas = false): string[] {
  const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? (splitCommas ? raw.split(',') : [raw]) : null;
  if (!items) throw new BadValue('a list of strings');
  return items.map((one: unknown) => {
    if (typeof one !== 'string') throw new BadValue('a list of strings', { value: one });
    try {
      return item(one);
    } catch (err) {
      if (err instanceof BadValue && !err.item) throw new BadValue(err.allowed, { value: one });
      throw err;
    }
  });
}

/** The nearest candidate by edit distance, if it is close enough to be a likely typo. */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) [best, bestDist] = [c, d];
  }
  return best !== undefined && bestDist <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
