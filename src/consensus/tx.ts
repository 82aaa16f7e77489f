import type { Transaction } from '../primitives/transaction.js';
import { inputAddress, scriptAddress } from '../primitives/address.js';
import { depositLockHeight } from '../primitives/script.js';
import { MAX_BLOCK_SIZE } from '../primitives/block.js';
import { type Network, MAX_MONEY } from '../networks/index.js';
import { VerifyError } from './errors.js';
import { isAttachmentValid, isValidAssetSymbol, isValidDidSymbol, isValidMitSymbol } from './attachments.js';

/** Transaction version meanings (transaction.hpp; mvs-consensus §5.2). */
export const TX_VERSION = {
  FIRST: 1,
  CHECK_OUTPUT_SCRIPT: 2,
  CHECK_NOVA_TESTNET: 3,
  CHECK_NOVA_FEATURE: 4,
  MAX: 5,
} as const;

/** The flat consensus minimum fee per ordinary transaction (mvs-consensus §3.3). */
export const MIN_TX_FEE = 10_000n;

/**
 * PoS coinstake shape (transaction::is_coinstake, mvs-consensus §4.7.1): a
 * non-null first input, ≥ 2 outputs, output 0 null (value 0, empty script, an
 * attachment that fails validity) and input 0 spending from the address that
 * output 1 pays.
 */
export function isCoinstake(tx: Transaction, network: Network): boolean {
  if (tx.inputs.length === 0 || tx.inputs[0].prevout.isNull() || tx.outputs.length < 2) return false;
  const out0 = tx.outputs[0];
  if (out0.value !== 0n || out0.script.length !== 0 || isAttachmentValid(out0.attachment)) return false;
  const from = inputAddress(tx.inputs[0].script, network.address);
  const to = scriptAddress(tx.outputs[1].script, network.address);
  return from !== null && to !== null && from.equals(to);
}

export interface TxRuleContext {
  network: Network;
  /**
   * The chain tip the reference reads (`T`) for its version and output gates.
   * We pass h − 1 for a block at height h (identical when extending the tip;
   * the reference's current-tip reading during reorgs is history-dependent,
   * mvs-consensus §4.11) and the tip for the mempool.
   */
  tipHeight: number;
  /** The tx is the coinstake at index 1 of a PoS block (its output 0 is exempt from the script rule). */
  coinstake?: boolean;
}

/**
 * check_transaction: rules that need no previous outputs (mvs-consensus
 * §5.2–§5.3). Throws VerifyError.
 */
export function checkTransaction(tx: Transaction, ctx: TxRuleContext): void {
  const { network, tipHeight } = ctx;
  const coinbase = tx.isCoinbase();
  const coinstake = ctx.coinstake === true;

  if (tx.version >= TX_VERSION.MAX) throw new VerifyError('transaction_version_error', `transaction version ${tx.version} is not allowed`);
  if (coinbase) {
    // A coinbase-shaped tx of version ≥ 4 fails the attenuation check on its null previous output (§5.2 rule 6).
    if (tx.version >= TX_VERSION.CHECK_NOVA_FEATURE) throw new VerifyError('previous_output_null', 'coinbase transactions must have version ≤ 3');
  } else if (!coinstake) {
    if (tx.version >= TX_VERSION.CHECK_NOVA_FEATURE && !(tipHeight > network.novaAfterHeight)) {
      throw new VerifyError('transaction_version_error', `transaction version ${tx.version} needs the nova fork (height > ${network.novaAfterHeight})`);
    }
    if (tx.version === TX_VERSION.CHECK_NOVA_TESTNET && !network.testnetRules) {
      throw new VerifyError('transaction_version_error', 'transaction version 3 is testnet-only');
    }
    if (!network.testnetRules && tipHeight >= network.posEnabledHeight && tx.version < TX_VERSION.CHECK_NOVA_FEATURE) {
      throw new VerifyError('transaction_version_error', 'transactions must have version 4 after PoS activation');
    }
  }

  if (tx.inputs.length === 0 || tx.outputs.length === 0) throw new VerifyError('empty_transaction', 'transaction has no inputs or no outputs');
  if (tx.referenceSize() > MAX_BLOCK_SIZE) throw new VerifyError('transaction_size_limit', 'transaction larger than the block size limit');

  if (tx.version >= TX_VERSION.CHECK_OUTPUT_SCRIPT) {
    for (let i = 0; i < tx.outputs.length; i++) {
      if (coinstake && i === 0) continue;
      if (tx.outputs[i].script.pattern() === 'non_standard') {
        throw new VerifyError('script_not_standard', `output ${i} script matches no standard pattern`);
      }
    }
  }

  if (tx.inputs.length > 1) {
    const seen = new Set<string>();
    for (const input of tx.inputs) {
      const key = input.prevout.keyString();
      if (seen.has(key)) throw new VerifyError('duplicate_input', `input ${input.prevout.toString()} is spent twice`);
      seen.add(key);
    }
  }

  let total = 0n;
  for (const o of tx.outputs) {
    if (o.value > MAX_MONEY) throw new VerifyError('output_value_overflow', 'output value above max_money');
    total += o.value;
    if (total > MAX_MONEY) throw new VerifyError('output_value_overflow', 'output total above max_money');
  }

  for (let i = 0; i < tx.outputs.length; i++) {
    const b = tx.outputs[i].attachment.body;
    if (b.kind === 'asset_issue' && !isValidAssetSymbol(b.symbol, tx.version)) throw new VerifyError('symbol_invalid', `output ${i}: invalid asset symbol`);
    if (b.kind === 'cert' && !isValidAssetSymbol(b.symbol, tx.version)) throw new VerifyError('symbol_invalid', `output ${i}: invalid certificate symbol`);
    if (b.kind === 'did' && b.status === 1 && !isValidDidSymbol(b.symbol, !network.testnetRules)) throw new VerifyError('symbol_invalid', `output ${i}: invalid DID symbol`);
    if (b.kind === 'mit' && b.status === 1 && !isValidMitSymbol(b.symbol)) throw new VerifyError('symbol_invalid', `output ${i}: invalid MIT symbol`);
  }

  if (tx.version >= TX_VERSION.CHECK_NOVA_FEATURE) {
    for (let i = 0; i < tx.outputs.length; i++) {
      if (coinstake && i === 0) continue;
      if (!isAttachmentValid(tx.outputs[i].attachment)) throw new VerifyError('attachment_invalid', `output ${i} attachment is invalid`);
    }
  }

  if (!coinbase) {
    for (const input of tx.inputs) {
      if (input.prevout.isNull()) throw new VerifyError('previous_output_null', 'non-coinbase input spends the null outpoint');
    }
    for (let i = 0; i < tx.outputs.length; i++) {
      const script = tx.outputs[i].script;
      const pattern = script.pattern();
      if (pattern === 'pay_key_hash_with_lock_height') {
        if (tipHeight >= network.posEnabledHeight) throw new VerifyError('invalid_coinage_reward_coinbase', `output ${i}: deposits are not allowed after PoS activation`);
        const lock = depositLockHeight(script);
        if (lock === null || !network.lockHeights.includes(lock)) throw new VerifyError('invalid_output_script_lock_height', `output ${i}: lock height is not one of the network's deposit periods`);
      } else if (pattern === 'pay_key_hash_with_sequence_lock') {
        if (!network.testnetRules && tipHeight < network.posEnabledHeight) {
          throw new VerifyError('sequence_lock_output_not_allowed', `output ${i}: sequence-lock outputs need PoS activation`);
        }
      }
    }
  }
}
