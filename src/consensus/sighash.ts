import type { Transaction } from '../primitives/transaction.js';
import { BufferWriter, varintSize } from '../primitives/writer.js';
import { sha256d } from '../crypto/hash.js';

export const SIGHASH = {
  ALL: 0x01,
  NONE: 0x02,
  SINGLE: 0x03,
  ANYONECANPAY: 0x80,
  MASK: 0x1f,
} as const;

/** The digest Bitcoin (and the reference) return for an out-of-range input or SINGLE output. */
export const ONE_HASH: Buffer = (() => {
  const b = Buffer.alloc(32);
  b[0] = 1;
  return b;
})();

const MAX_U64 = (1n << 64n) - 1n;

/**
 * Legacy signature hash exactly as the reference computes it
 * (mvs-org/metaverse: src/lib/bitcoin/chain/script/script.cpp,
 * generate_signature_hash; mvs-wire §4.6): copy the transaction, empty every
 * input script, put `scriptCode` in the signing input, apply NONE / SINGLE /
 * ANYONECANPAY, serialize — attachments included — append the hash type as
 * u32 LE and dSHA256. Returned in internal byte order (the ECDSA message).
 *
 * NONE: no outputs; other inputs' sequences 0. SINGLE: outputs[0..index],
 * all but the last with value 2^64−1 and an empty script (their attachments are
 * kept, as the native routine keeps them); other sequences 0; index beyond the
 * outputs signs ONE_HASH. ANYONECANPAY: only the signing input.
 *
 * The consensus clone serializes SINGLE's blanked outputs with uninitialised
 * attachment fields, so SINGLE with blanked outputs has no reproducible digest
 * on the reference; the script interpreter treats such signatures as invalid
 * (docs/decisions.md).
 */
export function signatureHash(tx: Transaction, index: number, scriptCode: Uint8Array, hashType: number): Buffer {
  if (index >= tx.inputs.length) return ONE_HASH;
  const base = hashType & SIGHASH.MASK;
  const anyoneCanPay = (hashType & SIGHASH.ANYONECANPAY) !== 0;
  const none = base === SIGHASH.NONE;
  const single = base === SIGHASH.SINGLE;
  if (single && index >= tx.outputs.length) return ONE_HASH;

  const w = new BufferWriter(tx.size() + scriptCode.length + 8);
  w.u32le(tx.version);

  const writeInput = (i: number) => {
    const input = tx.inputs[i];
    w.bytes(input.prevout.hash).u32le(input.prevout.index);
    if (i === index) w.varBytes(scriptCode);
    else w.u8(0);
    w.u32le((none || single) && i !== index ? 0 : input.sequence);
  };
  if (anyoneCanPay) {
    w.varint(1);
    writeInput(index);
  } else {
    w.varint(tx.inputs.length);
    for (let i = 0; i < tx.inputs.length; i++) writeInput(i);
  }

  if (none) {
    w.varint(0);
  } else if (single) {
    w.varint(index + 1);
    for (let i = 0; i < index; i++) {
      w.u64le(MAX_U64).u8(0);
      tx.outputs[i].attachment.encode(w);
    }
    tx.outputs[index].encode(w);
  } else {
    w.varint(tx.outputs.length);
    for (const o of tx.outputs) o.encode(w);
  }
  w.u32le(tx.locktime);
  w.u32le(hashType);
  return sha256d(w.finish());
}

/**
 * signatureHash for a transaction whose exact serialization the caller holds
 * — the bytes it was just decoded from (script verification). SIGHASH_ALL,
 * almost every signature, is then cut from those bytes: the version,
 * outpoints, sequences and the outputs-and-locktime tail are copied as they
 * are, only the input scripts change, so no output is re-encoded. Other hash
 * types go the field-by-field way. `raw` must be `tx`'s serialization: a
 * transaction edited after it was decoded (a wallet filling in its input
 * scripts) must use signatureHash.
 */
export function signatureHashOfRaw(tx: Transaction, raw: Buffer, index: number, scriptCode: Uint8Array, hashType: number): Buffer {
  if (index >= tx.inputs.length || (hashType & (SIGHASH.MASK | SIGHASH.ANYONECANPAY)) !== SIGHASH.ALL) return signatureHash(tx, index, scriptCode, hashType);
  const inputs = tx.inputs;
  const head = 4 + varintSize(inputs.length);
  let inputsEnd = head;
  for (let i = 0; i < inputs.length; i++) inputsEnd += inputs[i].size();
  const size = head + inputs.length * 41 - 1 + varintSize(scriptCode.length) + scriptCode.length + (raw.length - inputsEnd) + 4;
  const w = new BufferWriter(size);
  w.range(raw, 0, head);
  let from = head;
  for (let i = 0; i < inputs.length; i++) {
    w.range(raw, from, from + 36);
    if (i === index) w.varBytes(scriptCode);
    else w.u8(0);
    from += 36 + varintSize(inputs[i].script.length) + inputs[i].script.length;
    w.range(raw, from, from + 4);
    from += 4;
  }
  w.range(raw, inputsEnd, raw.length);
  w.u32le(hashType);
  // The sizes above come from the decoded fields; bytes that disagree with them must not be signed.
  if (w.length !== size) throw new Error(`signature preimage layout mismatch (${w.length} of ${size} bytes)`);
  return sha256d(w.finish());
}
