import { OP } from '../../primitives/opcodes.js';

/**
 * Byte-level script helpers with the clone's CScript semantics
 * (src/lib/consensus/clone/script/script.h and script.cpp). The interpreter
 * works on raw bytes rather than `Script.ops` because Core parses one
 * operation at a time: a truncated push only fails when execution reaches it.
 */

/** One decoded operation: where its data lies and where the next one starts. */
export interface OpCursor {
  opcode: number;
  /** Data start/end offsets in the script (equal for non-push opcodes). */
  dataStart: number;
  dataEnd: number;
  /** Offset just past this operation. */
  next: number;
}

/**
 * CScript::GetOp2 at `pc`: fills `out` and returns true, or returns false at
 * the end of the script or when a push runs past it.
 */
export function readOp(script: Uint8Array, pc: number, out: OpCursor): boolean {
  const end = script.length;
  if (pc >= end) return false;
  const opcode = script[pc++];
  let size = 0;
  if (opcode <= OP.PUSHDATA4) {
    if (opcode < OP.PUSHDATA1) {
      size = opcode;
    } else if (opcode === OP.PUSHDATA1) {
      if (end - pc < 1) return false;
      size = script[pc];
      pc += 1;
    } else if (opcode === OP.PUSHDATA2) {
      if (end - pc < 2) return false;
      size = script[pc] | (script[pc + 1] << 8);
      pc += 2;
    } else {
      if (end - pc < 4) return false;
      size = (script[pc] | (script[pc + 1] << 8) | (script[pc + 2] << 16)) + script[pc + 3] * 0x1000000;
      pc += 4;
    }
    if (end - pc < size) return false;
  }
  out.opcode = opcode;
  out.dataStart = pc;
  out.dataEnd = pc + size;
  out.next = pc + size;
  return true;
}

export function newCursor(): OpCursor {
  return { opcode: 0, dataStart: 0, dataEnd: 0, next: 0 };
}

/**
 * The bytes `CScript(vch)` produces: `vch` pushed with the smallest push
 * opcode (an empty element becomes OP_0). This is what FindAndDelete removes.
 */
export function pushEncoding(data: Uint8Array): Buffer {
  const n = data.length;
  let header: Buffer;
  if (n < OP.PUSHDATA1) header = Buffer.from([n]);
  else if (n <= 0xff) header = Buffer.from([OP.PUSHDATA1, n]);
  else if (n <= 0xffff) header = Buffer.from([OP.PUSHDATA2, n & 0xff, n >> 8]);
  else header = Buffer.from([OP.PUSHDATA4, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff]);
  return Buffer.concat([header, data]);
}

function matchesAt(script: Uint8Array, pc: number, pattern: Uint8Array): boolean {
  if (script.length - pc < pattern.length) return false;
  for (let i = 0; i < pattern.length; i++) if (script[pc + i] !== pattern[i]) return false;
  return true;
}

/**
 * CScript::FindAndDelete: at every operation boundary, remove each
 * occurrence of `pattern` starting there (repeatedly, as the reference
 * erases in place and looks again at the same offset). Scanning stops where
 * the script stops parsing; the rest is kept. Returns `script` itself when
 * nothing is removed.
 */
export function findAndDelete(script: Buffer, pattern: Uint8Array): Buffer {
  if (pattern.length === 0 || script.length < pattern.length) return script;
  // Fast path: the bytes occur nowhere, so they cannot occur at a boundary.
  if (script.indexOf(pattern) < 0) return script;
  const kept: Buffer[] = [];
  const cursor = newCursor();
  let copyFrom = 0;
  let pc = 0;
  let found = false;
  for (;;) {
    while (matchesAt(script, pc, pattern)) {
      if (pc > copyFrom) kept.push(script.subarray(copyFrom, pc));
      pc += pattern.length;
      copyFrom = pc;
      found = true;
    }
    if (!readOp(script, pc, cursor)) break;
    pc = cursor.next;
  }
  if (!found) return script;
  if (copyFrom < script.length) kept.push(script.subarray(copyFrom));
  return Buffer.concat(kept);
}

/**
 * The scriptCode as the signature serializer writes it
 * (CTransactionSignatureSerializer::SerializeScriptCode): every
 * OP_CODESEPARATOR at an operation boundary left out. Bytes after an
 * unparseable point are kept as they are; a script that does not parse fails
 * evaluation before it could verify, so their exact treatment never matters.
 */
export function withoutCodeSeparators(script: Buffer): Buffer {
  if (script.indexOf(OP.CODESEPARATOR) < 0) return script;
  const kept: Buffer[] = [];
  const cursor = newCursor();
  let copyFrom = 0;
  let pc = 0;
  let removed = false;
  while (readOp(script, pc, cursor)) {
    if (cursor.opcode === OP.CODESEPARATOR) {
      if (pc > copyFrom) kept.push(script.subarray(copyFrom, pc));
      copyFrom = cursor.next;
      removed = true;
    }
    pc = cursor.next;
  }
  if (!removed) return script;
  if (copyFrom < script.length) kept.push(script.subarray(copyFrom));
  return Buffer.concat(kept);
}

/**
 * CScript::IsPushOnly: every operation parses and is ≤ OP_16. Note that
 * OP_RESERVED (0x50) counts as a push here, as in the reference; executing
 * it fails anyway.
 */
export function isPushOnly(script: Uint8Array): boolean {
  const cursor = newCursor();
  let pc = 0;
  while (pc < script.length) {
    if (!readOp(script, pc, cursor)) return false;
    if (cursor.opcode > OP.OP_16) return false;
    pc = cursor.next;
  }
  return true;
}

/** CScript::IsPayToScriptHash: exactly `HASH160 <20 bytes> EQUAL`. */
export function isPayToScriptHash(script: Uint8Array): boolean {
  return script.length === 23 && script[0] === OP.HASH160 && script[1] === 0x14 && script[22] === OP.EQUAL;
}
