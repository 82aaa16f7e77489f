import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedVersion: string | null = null;

/**
 * The mvs-node package version, read from the nearest package.json named
 * "mvs-node" above this file, so it is right from src/ and from any dist
 * folder (dist/, dist-net/, …) alike.
 */
export function packageVersion(): string {
  if (cachedVersion !== null) return cachedVersion;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'mvs-node' && typeof pkg.version === 'string') return (cachedVersion = pkg.version);
      } catch {
        // An unreadable package.json further down is not ours; keep walking up.
      }
    }
    const up = dirname(dir);
    if (up === dir) return (cachedVersion = '0.0.0');
    dir = up;
  }
}

/** What we announce in `version` (mvs-wire §1.4: never validated by the reference). */
export function defaultUserAgent(): string {
  return `/mvs-node:${packageVersion()}/`;
}
