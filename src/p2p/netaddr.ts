import { isIPv4, isIPv6 } from 'node:net';
import type { BufferReader } from '../primitives/reader.js';
import type { BufferWriter } from '../primitives/writer.js';
import { CodecError } from '../primitives/errors.js';

/** A network address as it sits in `version` (mvs-wire §2.6): services, IPv6, port. */
export interface NetAddress {
  services: bigint;
  /** 16 bytes; IPv4 is carried IPv4-mapped (`::ffff:a.b.c.d`). */
  ip: Buffer;
  port: number;
}

/** A network address with its timestamp, as it sits in `addr` entries. */
export interface TimedNetAddress extends NetAddress {
  /** Unix seconds (u32). The reference ignores it and never updates it (mvs-wire §7.4). */
  timestamp: number;
}

export const NETADDR_SIZE = 26;
export const TIMED_NETADDR_SIZE = 30;

const IPV4_MAPPED_PREFIX = Buffer.from('00000000000000000000ffff', 'hex');

/** `::` with port 0 — what the reference sends for an unset `network.self` (mvs-wire §3.1). */
export function unspecifiedAddress(services = 0n): NetAddress {
  return { services, ip: Buffer.alloc(16), port: 0 };
}

function checkFields(a: NetAddress): void {
  if (!Buffer.isBuffer(a.ip) || a.ip.length !== 16) throw new CodecError('BAD_VALUE', 'network address ip must be 16 bytes');
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 0xffff) throw new CodecError('BAD_VALUE', `port ${a.port} out of range`);
  if (a.services < 0n || a.services >= 1n << 64n) throw new CodecError('BAD_VALUE', 'services out of u64 range');
}

/** 26-byte form: services u64 LE, ip 16, port u16 **big-endian** (network_address.cpp). */
export function decodeNetAddress(r: BufferReader): NetAddress {
  const services = r.u64le();
  const ip = r.copy(16);
  const port = r.u16be();
  return { services, ip, port };
}

export function encodeNetAddress(w: BufferWriter, a: NetAddress): void {
  checkFields(a);
  w.u64le(a.services).bytes(a.ip).u16be(a.port);
}

/** 30-byte form: timestamp u32 LE, then the 26-byte form. */
export function decodeTimedNetAddress(r: BufferReader): TimedNetAddress {
  const timestamp = r.u32le();
  return { timestamp, ...decodeNetAddress(r) };
}

export function encodeTimedNetAddress(w: BufferWriter, a: TimedNetAddress): void {
  if (!Number.isInteger(a.timestamp) || a.timestamp < 0 || a.timestamp > 0xffffffff) {
    throw new CodecError('BAD_VALUE', `address timestamp ${a.timestamp} out of u32 range`);
  }
  w.u32le(a.timestamp);
  encodeNetAddress(w, a);
}

export function isIPv4Mapped(ip: Uint8Array): boolean {
  return ip.length === 16 && IPV4_MAPPED_PREFIX.equals(Buffer.from(ip.buffer, ip.byteOffset, 12));
}

function parseIPv4(s: string): Buffer {
  return Buffer.from(s.split('.').map((part) => Number(part)));
}

/**
 * 16-byte form of an IP literal: dotted IPv4 becomes IPv4-mapped; IPv6 text
 * (with `::` and an embedded dotted quad allowed) is expanded. No DNS names.
 */
export function ipFromString(text: string): Buffer {
  const s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIPv4(s)) return Buffer.concat([IPV4_MAPPED_PREFIX, parseIPv4(s)]);
  if (!isIPv6(s) || s.includes('%')) throw new CodecError('BAD_VALUE', `not an IP address: ${JSON.stringify(text)}`);
  // Rewrite an embedded dotted quad ("::ffff:1.2.3.4") as two hex groups, then expand "::".
  let v6 = s;
  const lastColon = v6.lastIndexOf(':');
  const lastPart = v6.slice(lastColon + 1);
  if (lastPart.includes('.')) {
    const q = parseIPv4(lastPart);
    v6 = `${v6.slice(0, lastColon + 1)}${((q[0] << 8) | q[1]).toString(16)}:${((q[2] << 8) | q[3]).toString(16)}`;
  }
  const compressed = v6.indexOf('::');
  const headGroups = compressed < 0 ? v6.split(':') : v6.slice(0, compressed).split(':').filter(Boolean);
  const tailGroups = compressed < 0 ? [] : v6.slice(compressed + 2).split(':').filter(Boolean);
  const fill = compressed < 0 ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...new Array<string>(Math.max(0, fill)).fill('0'), ...tailGroups];
  if (groups.length !== 8) throw new CodecError('BAD_VALUE', `not an IP address: ${JSON.stringify(text)}`);
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/**
 * Text form: dotted quad for IPv4-mapped addresses, otherwise RFC 5952 IPv6
 * (lower case, longest run of two or more zero groups compressed).
 */
export function ipToString(ip: Uint8Array): string {
  if (ip.length !== 16) throw new CodecError('BAD_VALUE', 'ip must be 16 bytes');
  const b = Buffer.from(ip.buffer, ip.byteOffset, 16);
  if (isIPv4Mapped(b)) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Parse "a.b.c.d:port", "[v6]:port", or a bare IP with `defaultPort`. */
export function parseHostPort(text: string, defaultPort?: number): { ip: Buffer; port: number } {
  let host = text;
  let portText: string | null = null;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1];
    portText = bracketed[2] ?? null;
  } else if (text.indexOf(':') === text.lastIndexOf(':') && text.includes(':')) {
    host = text.slice(0, text.indexOf(':'));
    portText = text.slice(text.indexOf(':') + 1);
  }
  let port: number;
  if (portText !== null) {
    if (!/^\d{1,5}$/.test(portText)) throw new CodecError('BAD_VALUE', `bad port in ${JSON.stringify(text)}`);
    port = Number(portText);
  } else if (defaultPort !== undefined) {
    port = defaultPort;
  } else {
    throw new CodecError('BAD_VALUE', `no port in ${JSON.stringify(text)}`);
  }
  if (port > 0xffff) throw new CodecError('BAD_VALUE', `port ${port} out of range`);
  return { ip: ipFromString(host), port };
}

/** "a.b.c.d:port" for IPv4-mapped addresses, "[v6]:port" otherwise. */
export function formatHostPort(a: { ip: Uint8Array; port: number }): string {
  const host = ipToString(a.ip);
  return isIPv4Mapped(a.ip) ? `${host}:${a.port}` : `[${host}]:${a.port}`;
}

export function netAddressFromHostPort(text: string, services = 0n, defaultPort?: number): NetAddress {
  return { services, ...parseHostPort(text, defaultPort) };
}

/**
 * The reference's `network_address::is_valid` (network_address.cpp) plus a
 * non-zero port. Flags the all-zero padding entries MVS puts in its getaddr
 * answers (mvs-wire §7.4): unspecified `::`, IPv4 0.0.0.0, the 2001:db8::/32
 * documentation range, and Bitcoin's "3-byte shifted" garbage pattern
 * (ip starting 00×7 ff ff).
 */
export function isValidAddress(a: { ip: Uint8Array; port: number }): boolean {
  const ip = Buffer.from(a.ip.buffer, a.ip.byteOffset, a.ip.byteLength);
  if (ip.length !== 16 || a.port === 0) return false;
  if (IPV4_MAPPED_PREFIX.subarray(3).equals(ip.subarray(0, 9))) return false;
  if (ip.every((byte) => byte === 0)) return false;
  if (ip[0] === 0x20 && ip[1] === 0x01 && ip[2] === 0x0d && ip[3] === 0xb8) return false;
  if (isIPv4Mapped(ip) && ip.readUInt32BE(12) === 0) return false;
  return true;
}

/**
 * Valid and publicly reachable: not RFC1918/RFC3927 (IPv4 private/link-local),
 * RFC4862 (fe80::/64), RFC4193 (fc00::/7), RFC4843 (ORCHID), nor loopback.
 * The reference's `is_routable` returns true unconditionally at the spec's
 * commit; this is the Bitcoin rule it disables, for choosing whom to dial.
 */
export function isRoutable(a: { ip: Uint8Array; port: number }): boolean {
  if (!isValidAddress(a)) return false;
  const ip = Buffer.from(a.ip.buffer, a.ip.byteOffset, 16);
  if (isIPv4Mapped(ip)) {
    const [o1, o2] = [ip[12], ip[13]];
    if (o1 === 10 || o1 === 127 || o1 === 0) return false;
    if (o1 === 192 && o2 === 168) return false;
    if (o1 === 172 && o2 >= 16 && o2 <= 31) return false;
    if (o1 === 169 && o2 === 254) return false;
    return true;
  }
  if (ip[0] === 0xfe && ip[1] === 0x80 && ip.subarray(2, 8).every((x) => x === 0)) return false;
  if ((ip[0] & 0xfe) === 0xfc) return false;
  if (ip[0] === 0x20 && ip[1] === 0x01 && ip[2] === 0x00 && (ip[3] & 0xf0) === 0x10) return false;
  if (ip.subarray(0, 15).every((x) => x === 0) && ip[15] === 1) return false;
  return true;
}
