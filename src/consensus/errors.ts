/**
 * Consensus rejections. Every rule failure is a VerifyError with a stable
 * `code` (the reference's error names where one exists — mvs-org/metaverse:
 * include/metaverse/bitcoin/error.hpp — and a more precise name where the
 * reference lumps several rules together), a human `message`, and a ban
 * score for the peer that sent the object (100 = ban at once; 0 = no fault of
 * the sender, e.g. a block we cannot check yet).
 */
export type VerifyErrorCode =
  // header / block layout (check_block)
  | 'size_limits'
  | 'empty_block'
  | 'proof_of_work'
  | 'futuristic_timestamp'
  | 'timestamp_too_early'
  | 'first_not_coinbase'
  | 'extra_coinbases'
  | 'illegal_coinstake'
  | 'miss_coinstake'
  | 'duplicate'
  | 'too_many_sigs'
  | 'merkle_mismatch'
  | 'coinbase_height_mismatch'
  | 'coinbase_output_invalid'
  | 'block_signature_invalid'
  | 'block_intermix_interval_error'
  // accept_block
  | 'incorrect_proof_of_work'
  | 'checkpoints_failed'
  | 'old_version_block'
  | 'block_version_not_match'
  | 'header_number_mismatch'
  | 'orphan_block'
  | 'previous_block_invalid'
  | 'proof_of_stake'
  // transaction structure (check_transaction)
  | 'empty_transaction'
  | 'transaction_version_error'
  | 'transaction_size_limit'
  | 'output_value_overflow'
  | 'previous_output_null'
  | 'duplicate_input'
  | 'script_not_standard'
  | 'attachment_invalid'
  | 'invalid_output_script_lock_height'
  | 'invalid_coinage_reward_coinbase'
  | 'sequence_lock_output_not_allowed'
  | 'symbol_invalid'
  | 'coinbase_transaction'
  // connect_block / inputs
  | 'duplicate_or_spent'
  | 'input_not_found'
  | 'double_spend'
  | 'coinbase_maturity'
  | 'invalid_input_script_lock_height'
  | 'spend_exceeds_value'
  | 'fees_out_of_range'
  | 'coinbase_too_large'
  | 'validate_inputs_failed'
  | 'non_final_transaction'
  | 'sequence_locked'
  | 'p2sh_sigops_limit';

export class VerifyError extends Error {
  readonly code: VerifyErrorCode;
  readonly banScore: number;
  /** Index of the offending transaction / input when there is one. */
  readonly txIndex?: number;
  readonly inputIndex?: number;

  constructor(code: VerifyErrorCode, message: string, banScore = 100, where: { txIndex?: number; inputIndex?: number } = {}) {
    super(message);
    this.name = 'VerifyError';
    this.code = code;
    this.banScore = banScore;
    this.txIndex = where.txIndex;
    this.inputIndex = where.inputIndex;
  }
}

export function isVerifyError(err: unknown): err is VerifyError {
  return err instanceof VerifyError;
}
