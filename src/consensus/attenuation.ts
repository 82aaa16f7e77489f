/**
 * Attenuation-model parameters of MIP-8 asset locks (mvs-consensus §5.12;
 * mvs-org/metaverse: src/lib/bitcoin/chain/attachment/asset/attenuation_model.cpp,
 * `impl::parse_param`, `check_keys`, `check_model_param_format`).
 *
 * This module is structured as a parser returning a typed model. The
 * interpreter's OP_CHECKATTENUATIONVERIFY only needs `isValidModelParamFormat`.
 * The transition rules (validate_model_param, check_model_param_initial,
 * diff_height, available) belong in the "Transition rules" section at the end
 * and operate on `AttenuationModel`.
 *
 * Parsing follows the reference exactly, quirks included:
 *  - only `[A-Za-z0-9,;=]` are allowed (isalnum in the C locale), and ",," is refused;
 *  - entries are split on ";" and key from value on "=", merging adjacent
 *    separators (boost::split with token_compress_on), so "PN==1" reads as PN=1
 *    while a leading or trailing separator leaves an empty token;
 *  - at least 6 entries, the first starting "PN=", the second "LH=";
 *  - a repeated key is refused even when one of the two values is empty, but
 *    an empty value itself means "unset" (the key is not recorded);
 *  - a number is accepted when every character is alphanumeric and `stoull`
 *    reads a decimal prefix: "12ab" is 12, "ab12" and overflow are invalid;
 *  - UC and UQ are comma lists; any other key holds one number (a comma there is invalid);
 *  - TYPE is read as uint8_t, so TYPE=257 acts as 1 and TYPE=256 as 0 (invalid);
 *  - the recorded key set must equal the type's key set exactly.
 */

export const ATTENUATION_MODEL_TYPE = {
  FIXED_QUANTITY: 1,
  CUSTOM: 2,
  FIXED_INFLATION: 3,
} as const;

export type AttenuationModelType = (typeof ATTENUATION_MODEL_TYPE)[keyof typeof ATTENUATION_MODEL_TYPE];

/** Keys each model type must carry, exactly (model_keys_map). */
export const MODEL_KEYS: Readonly<Record<AttenuationModelType, readonly string[]>> = {
  1: ['PN', 'LH', 'TYPE', 'LQ', 'LP', 'UN'],
  2: ['PN', 'LH', 'TYPE', 'LQ', 'LP', 'UN', 'UC', 'UQ'],
  3: ['PN', 'LH', 'TYPE', 'LQ', 'LP', 'UN', 'IR', 'UC', 'UQ'],
};

/**
 * A fixed-inflation parameter as first written by a wallet carries IR instead
 * of the lists (inflation_model_initial_keys); only the reference's
 * `is_init` parse accepts it.
 */
export const FIXED_INFLATION_INITIAL_KEYS: readonly string[] = ['PN', 'LH', 'TYPE', 'LQ', 'LP', 'UN', 'IR'];

/** Keys whose value is a comma-separated list (attenuation_model::is_multi_value_key). */
const MULTI_VALUE_KEYS = new Set(['UC', 'UQ']);

const MAX_UINT64 = (1n << 64n) - 1n;

export type AttenuationParamErrorCode =
  | 'EMPTY'
  | 'ILLEGAL_CHARACTER'
  | 'DOUBLE_COMMA'
  | 'TOO_FEW_ENTRIES'
  | 'FIRST_KEY_NOT_PN'
  | 'SECOND_KEY_NOT_LH'
  | 'MALFORMED_ENTRY'
  | 'EMPTY_KEY'
  | 'DUPLICATE_KEY'
  | 'BAD_NUMBER'
  | 'BAD_TYPE'
  | 'KEY_SET_MISMATCH';

export interface AttenuationParamError {
  ok: false;
  code: AttenuationParamErrorCode;
  message: string;
}

/** A parsed model parameter. Numbers are uint64 as the reference keeps them. */
export interface AttenuationModel {
  /** The exact parameter bytes. */
  readonly param: Buffer;
  readonly type: AttenuationModelType;
  /** TYPE as written, before the reference truncates it to 8 bits. */
  readonly typeValue: bigint;
  /** PN: current period number. */
  readonly periodNumber: bigint;
  /** LH: blocks left in the current period ("latest lock height"). */
  readonly latestLockHeight: bigint;
  /** LQ: total locked quantity. */
  readonly lockedQuantity: bigint;
  /** LP: total locked period in blocks. */
  readonly lockedPeriod: bigint;
  /** UN: number of unlocks. */
  readonly unlockNumber: bigint;
  /** IR: inflation rate (TYPE 3 only), else null. */
  readonly inflationRate: bigint | null;
  /** UC: blocks per unlock period (TYPE 2 and 3), else empty. */
  readonly unlockCycles: readonly bigint[];
  /** UQ: quantity unlocked per period (TYPE 2 and 3), else empty. */
  readonly unlockedQuantities: readonly bigint[];
  /** Every recorded key with its values, as the reference's map holds them. */
  readonly entries: ReadonlyMap<string, readonly bigint[]>;
}

export type AttenuationParseResult = { ok: true; model: AttenuationModel } | AttenuationParamError;

export interface AttenuationParseOptions {
  /**
   * Parse as the reference's `is_init` constructor does: a TYPE 3 parameter
   * must then carry FIXED_INFLATION_INITIAL_KEYS instead of MODEL_KEYS[3].
   * The interpreter and on-chain outputs use the default (false).
   */
  initial?: boolean;
}

function fail(code: AttenuationParamErrorCode, message: string): AttenuationParamError {
  return { ok: false, code, message };
}

function isAlphanumeric(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
}

const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;

/**
 * boost::split with token_compress_on over one separator: adjacent separators
 * count as one; a leading or trailing separator leaves an empty token, and an
 * empty input gives one empty token.
 */
export function splitCompressed(text: string, separator: string): string[] {
  const tokens: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    if (text[i] === separator) {
      tokens.push(text.slice(start, i));
      while (i < text.length && text[i] === separator) i++;
      start = i;
    } else {
      i++;
    }
  }
  tokens.push(text.slice(start));
  return tokens;
}

/**
 * std::stoull after the reference's alphanumeric check (parse_uint64): the
 * longest decimal prefix, null when there is none or it exceeds 2^64 − 1.
 */
export function parseModelNumber(text: string): bigint | null {
  for (let i = 0; i < text.length; i++) if (!isAlphanumeric(text.charCodeAt(i))) return null;
  let end = 0;
  while (end < text.length && text.charCodeAt(end) >= 0x30 && text.charCodeAt(end) <= 0x39) end++;
  if (end === 0) return null;
  const value = BigInt(text.slice(0, end));
  return value > MAX_UINT64 ? null : value;
}

function expectedKeys(type: AttenuationModelType, initial: boolean): readonly string[] {
  return initial && type === ATTENUATION_MODEL_TYPE.FIXED_INFLATION ? FIXED_INFLATION_INITIAL_KEYS : MODEL_KEYS[type];
}

/** Parse a model parameter (the bytes pushed with PUSHDATA2 in an attenuation output script). */
export function parseModelParam(param: Uint8Array | string, options: AttenuationParseOptions = {}): AttenuationParseResult {
  const bytes = typeof param === 'string' ? Buffer.from(param, 'utf8') : Buffer.from(param);
  if (bytes.length === 0) return fail('EMPTY', 'model parameter is empty');
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (!(isAlphanumeric(b) || b === COMMA || b === SEMICOLON || b === EQUALS)) {
      return fail('ILLEGAL_CHARACTER', `illegal character 0x${b.toString(16).padStart(2, '0')} at position ${i}`);
    }
  }
  // Every byte is now ASCII, so latin1 decoding is exact.
  const text = bytes.toString('latin1');
  if (text.includes(',,')) return fail('DOUBLE_COMMA', "',,' is not allowed");

  const entryTexts = splitCompressed(text, ';');
  if (entryTexts.length < 6) return fail('TOO_FEW_ENTRIES', `${entryTexts.length} entries; at least PN, LH, TYPE, LQ, LP, UN are required`);
  if (!entryTexts[0].startsWith('PN=')) return fail('FIRST_KEY_NOT_PN', 'the first entry must be PN');
  if (!entryTexts[1].startsWith('LH=')) return fail('SECOND_KEY_NOT_LH', 'the second entry must be LH');

  const entries = new Map<string, bigint[]>();
  for (const entryText of entryTexts) {
    const parts = splitCompressed(entryText, '=');
    if (parts.length !== 2) return fail('MALFORMED_ENTRY', `entry '${entryText}' is not key=value`);
    const [key, value] = parts;
    if (key.length === 0) return fail('EMPTY_KEY', `entry '${entryText}' has an empty key`);
    // The reference checks for a duplicate before skipping an empty value.
    if (entries.has(key)) return fail('DUPLICATE_KEY', `duplicate key ${key}`);
    if (value.length === 0) continue;
    const items = MULTI_VALUE_KEYS.has(key) ? splitCompressed(value, ',') : [value];
    const numbers: bigint[] = [];
    for (const item of items) {
      const n = parseModelNumber(item);
      if (n === null) return fail('BAD_NUMBER', `value '${item}' of ${key} is not a number`);
      numbers.push(n);
    }
    entries.set(key, numbers);
  }

  const typeValue = entries.get('TYPE')?.[0] ?? 0n;
  // getnumber<uint8_t>("TYPE"): truncated to 8 bits; from_index accepts 1..3.
  const truncated = Number(typeValue & 0xffn);
  if (truncated < 1 || truncated > 3) return fail('BAD_TYPE', `model TYPE ${typeValue} is not 1, 2 or 3`);
  const type = truncated as AttenuationModelType;

  const keys = expectedKeys(type, options.initial === true);
  if (entries.size !== keys.length || !keys.every((k) => entries.has(k))) {
    return fail('KEY_SET_MISMATCH', `TYPE ${type} needs exactly the keys ${keys.join(',')}; got ${[...entries.keys()].join(',')}`);
  }

  const single = (key: string): bigint => entries.get(key)?.[0] ?? 0n;
  return {
    ok: true,
    model: {
      param: bytes,
      type,
      typeValue,
      periodNumber: single('PN'),
      latestLockHeight: single('LH'),
      lockedQuantity: single('LQ'),
      lockedPeriod: single('LP'),
      unlockNumber: single('UN'),
      inflationRate: entries.has('IR') ? single('IR') : null,
      unlockCycles: entries.get('UC') ?? [],
      unlockedQuantities: entries.get('UQ') ?? [],
      entries,
    },
  };
}

/**
 * attenuation_model::check_model_param_format: the parameter parses with a
 * valid TYPE. This is what OP_CHECKATTENUATIONVERIFY requires of its operand.
 */
export function isValidModelParamFormat(param: Uint8Array | string): boolean {
  return parseModelParam(param).ok;
}

/**
 * Offset of the second ';' in the raw parameter (find_nth_element(…, 2, ';')),
 * or the length when there is none. Everything from there on is the part of a
 * parameter that a transition must keep unchanged (check_model_param_immutable,
 * get_new_model_param).
 */
export function immutableSuffixOffset(param: Uint8Array): number {
  let seen = 0;
  for (let i = 0; i < param.length; i++) {
    if (param[i] === SEMICOLON && ++seen === 2) return i;
  }
  return param.length;
}

// ---------------------------------------------------------------------------
// Transition rules (MIP-8 spending: validate_model_param, the initial-parameter
// rules, diff_height, available; mvs-consensus §5.12). They take the typed
// AttenuationModel above and are added with the asset-lock validation issue.
