import { createHash } from 'node:crypto';
import { getSecp256k1, compactToDer } from '../../src/crypto/secp256k1/index.js';
import { hash160 } from '../../src/crypto/hash.js';
import { signatureHash, SIGHASH } from '../../src/consensus/sighash.js';
import { Script, pushOp, p2pkhScript } from '../../src/primitives/script.js';
import { Transaction, TxInput, TxOutput, OutPoint } from '../../src/primitives/transaction.js';
import { Attachment } from '../../src/primitives/attachment.js';

export interface TestKey {
  priv: Buffer;
  pub: Buffer;
  hash: Buffer;
  script: Script;
}

/** A deterministic key from a label (tests only). */
export function testKey(label: string): TestKey {
  const secp = getSecp256k1();
  let priv = createHash('sha256').update(label).digest();
  while (!secp.privateKeyVerify(priv)) priv = createHash('sha256').update(priv).digest();
  const pub = Buffer.from(secp.publicKeyCreate(priv, true));
  const hash = hash160(pub);
  return { priv, pub, hash, script: p2pkhScript(hash) };
}

/** Sign input `index` of `tx` (P2PKH, SIGHASH_ALL); mutates the input script and invalidates the tx caches. */
export function signP2pkhInput(tx: Transaction, index: number, key: TestKey, prevScript: Script = key.script): void {
  const digest = signatureHash(tx, index, prevScript.raw, SIGHASH.ALL);
  const sig = getSecp256k1().sign(digest, key.priv);
  const der = Buffer.concat([compactToDer(sig), Buffer.from([SIGHASH.ALL])]);
  tx.inputs[index].script = Script.fromOps([pushOp(der), pushOp(key.pub)]);
  tx.invalidate();
}

/** A signed P2PKH spend of `prevouts` (all owned by `key`) to `outputs`. */
export function p2pkhSpend(
  prevouts: { txid: Buffer; index: number }[],
  outputs: { script: Script; value: bigint }[],
  key: TestKey,
  version = 1,
): Transaction {
  const tx = new Transaction(
    version,
    prevouts.map((p) => new TxInput(new OutPoint(p.txid, p.index), new Script(), 0xffffffff)),
    outputs.map((o) => new TxOutput(o.value, o.script, Attachment.etp(1))),
    0,
  );
  for (let i = 0; i < tx.inputs.length; i++) signP2pkhInput(tx, i, key);
  return tx;
}
