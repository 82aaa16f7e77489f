/**
 * Script verification flags, with the bit values of the reference clone
 * (mvs-org/metaverse: src/lib/consensus/clone/script/interpreter.h). The
 * interpreter implements every flag so each can be tested, but consensus on
 * MVS runs with MVS_CONSENSUS_FLAGS at every height and for every input
 * (mvs-consensus §5.5; validate_transaction.cpp check_consensus).
 */
export const SCRIPT_VERIFY = {
  NONE: 0,
  /** BIP16: evaluate P2SH redeem scripts. */
  P2SH: 1 << 0,
  /** Strict DER + defined hash type for signatures, compressed/uncompressed-only keys. */
  STRICTENC: 1 << 1,
  /** BIP66 strict DER signatures. */
  DERSIG: 1 << 2,
  /** Strict DER and S ≤ n/2. */
  LOW_S: 1 << 3,
  /** CHECKMULTISIG's extra popped item must be empty. */
  NULLDUMMY: 1 << 4,
  /** scriptSig must be push-only (beyond the P2SH rule). */
  SIGPUSHONLY: 1 << 5,
  /** Minimal pushes and minimally encoded numbers. */
  MINIMALDATA: 1 << 6,
  /** Executed NOP1, NOP5..NOP10 (and disabled CLTV/CAV/CSV) fail. */
  DISCOURAGE_UPGRADABLE_NOPS: 1 << 7,
  /** Exactly one stack item must remain. */
  CLEANSTACK: 1 << 8,
  /** BIP65 OP_CHECKLOCKTIMEVERIFY (0xb1). */
  CHECKLOCKTIMEVERIFY: 1 << 9,
  /** MVS OP_CHECKATTENUATIONVERIFY (0xb2). */
  CHECKATTENUATIONVERIFY: 1 << 10,
  /** BIP112 OP_CHECKSEQUENCEVERIFY (0xb3) with MVS constants. */
  CHECKSEQUENCEVERIFY: 1 << 11,
} as const;

/** The flags the reference sets for every input at every height. */
export const MVS_CONSENSUS_FLAGS: number =
  SCRIPT_VERIFY.P2SH |
  SCRIPT_VERIFY.DERSIG |
  SCRIPT_VERIFY.CHECKLOCKTIMEVERIFY |
  SCRIPT_VERIFY.CHECKATTENUATIONVERIFY |
  SCRIPT_VERIFY.CHECKSEQUENCEVERIFY;

/** Every flag bit the interpreter knows. */
export const ALL_SCRIPT_FLAGS: number = Object.values(SCRIPT_VERIFY).reduce((a, b) => a | b, 0);
