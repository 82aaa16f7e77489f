import { Block } from '../primitives/block.js';
import { BlockHeader, BLOCK_VERSION } from '../primitives/header.js';
import { Transaction, TxInput, TxOutput, OutPoint } from '../primitives/transaction.js';
import { Script, encodeScriptNum } from '../primitives/script.js';
import { Attachment } from '../primitives/attachment.js';
import { merkleRoot } from '../primitives/merkle.js';
import { ZERO_HASH } from '../primitives/hex.js';

/**
 * The coinbase the reference miner builds (miner::create_coinbase_tx,
 * mvs-consensus §7.1): version 1, one input spending the null outpoint with
 * sequence 0 whose script is the direct push of the height as a script number,
 * output 0 paying `payTo` with attachment version 0 / type 0.
 */
export function createCoinbase(height: number, payTo: Script, value: bigint, extraNonce?: Buffer): Transaction {
  const num = encodeScriptNum(height);
  const parts = [Buffer.from([num.length]), num];
  // An optional extra push keeps coinbases of equal height and payee distinct (BIP34 is a prefix test).
  if (extraNonce && extraNonce.length > 0) parts.push(Buffer.from([extraNonce.length]), extraNonce);
  return new Transaction(
    1,
    [new TxInput(OutPoint.null(), new Script(Buffer.concat(parts)), 0)],
    [new TxOutput(value, payTo, Attachment.etp(0))],
    0,
  );
}

export interface AssembleOptions {
  prevHash: Buffer;
  height: number;
  timestamp: number;
  bits: bigint;
  txs: Transaction[];
  version?: number;
}

/** A block with its merkle root filled in and nonce/mixhash zero (to be sealed by the PoW search). */
export function assembleBlock(o: AssembleOptions): Block {
  const header = new BlockHeader({
    version: o.version ?? BLOCK_VERSION.POW,
    prevHash: o.prevHash,
    merkleRoot: merkleRoot(o.txs.map((t) => t.hash())),
    timestamp: o.timestamp,
    bits: o.bits,
    nonce: 0n,
    mixHash: ZERO_HASH,
    number: o.height,
  });
  return new Block(header, o.txs);
}
