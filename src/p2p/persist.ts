import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { ipToString, parseHostPort } from './netaddr.js';

/** Write a file so a crash leaves the old or the new content, never half of one. */
export function writeFileAtomic(path: string, data: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Parsed JSON of `path`, or null when it is missing or unreadable (the caller logs and starts empty). */
export function readJsonFile(path: string): unknown {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return null;
  }
}

/**
 * The canonical host text of an address given as "a.b.c.d", "a.b.c.d:port",
 * "[v6]:port", bare IPv6 or IPv4-mapped IPv6 — the key of bans and the
 * blacklist. Null when it is not an IP literal.
 */
export function canonicalHost(text: string): string | null {
  try {
    return ipToString(parseHostPort(text.trim(), 0).ip);
  } catch {
    return null;
  }
}
