/**
 * What every benchmark shares: its command-line options and the statistics of
 * its rounds. (A leading underscore keeps this file out of `npm run bench`.)
 */

/** `--name N`: a positive number, else `fallback`. */
export function argNumber(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/** `--name N`: a positive whole number (rounded down), else `fallback`. */
export function argInt(name: string, fallback: number): number {
  return Math.floor(argNumber(name, fallback));
}

/** `--name text`, else `fallback`. */
export function argString(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const round2 = (x: number): number => Math.round(x * 100) / 100;
