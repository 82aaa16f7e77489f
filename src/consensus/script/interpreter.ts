import { OP, opcodeName } from '../../primitives/opcodes.js';
import { isPayKeyHashBytes } from '../../primitives/script.js';
import { ripemd160, sha1, sha256, hash160, sha256d } from '../../crypto/hash.js';
import { isStrictDerSignature, parseDerLax } from '../../crypto/secp256k1/der.js';
import { isHighS } from '../../crypto/secp256k1/scalar.js';
import { isValidModelParamFormat } from '../attenuation.js';
import { SCRIPT_VERIFY } from './flags.js';
import { scriptError, VERIFY_OK, type ScriptErrorCode, type VerifyResult } from './errors.js';
import { castToBool, clampInt32, decodeNum, encodeNum, ScriptNumError, LOCKTIME_MAX_NUM_SIZE } from './num.js';
import { findAndDelete, isPayToScriptHash, isPushOnly, newCursor, pushEncoding, readOp } from './script-code.js';
import type { SignatureChecker } from './checker.js';

/**
 * The script interpreter of the reference's consensus clone, a Bitcoin Core
 * 0.12 EvalScript / VerifyScript with the MVS opcodes
 * (mvs-org/metaverse: src/lib/consensus/clone/script/interpreter.cpp;
 * mvs-consensus §5.5). Core's order of checks is kept exactly, including
 * those that apply to operations in unexecuted branches (push size, op
 * count, disabled opcodes, and VERIF/VERNOTIF, which are in the IF..ENDIF
 * range and so fail even there).
 *
 * Hostile input never throws out of here: every failure is a code.
 */

export const MAX_SCRIPT_SIZE = 10_000;
export const MAX_SCRIPT_ELEMENT_SIZE = 520;
export const MAX_OPS_PER_SCRIPT = 201;
export const MAX_PUBKEYS_PER_MULTISIG = 20;
export const MAX_STACK_SIZE = 1000;

/** A failure inside one script: the code and the offset of the failing operation. */
export interface EvalFailure {
  code: ScriptErrorCode;
  offset: number;
}

const TRUE = Buffer.from([1]);
const FALSE = Buffer.alloc(0);
const TWO_POW_31 = 0x80000000;

function isDisabledOpcode(opcode: number): boolean {
  return (
    opcode === OP.CAT ||
    opcode === OP.SUBSTR ||
    opcode === OP.LEFT ||
    opcode === OP.RIGHT ||
    opcode === OP.INVERT ||
    opcode === OP.AND ||
    opcode === OP.OR ||
    opcode === OP.XOR ||
    opcode === OP.TWOMUL ||
    opcode === OP.TWODIV ||
    opcode === OP.MUL ||
    opcode === OP.DIV ||
    opcode === OP.MOD ||
    opcode === OP.LSHIFT ||
    opcode === OP.RSHIFT
  );
}

/** CheckMinimalPush (MINIMALDATA only). */
function isMinimalPush(data: Uint8Array, opcode: number): boolean {
  const n = data.length;
  if (n === 0) return opcode === OP.ZERO;
  if (n === 1 && data[0] >= 1 && data[0] <= 16) return opcode === OP.OP_1 + (data[0] - 1);
  if (n === 1 && data[0] === 0x81) return opcode === OP.NEGATE1;
  if (n <= 75) return opcode === n;
  if (n <= 255) return opcode === OP.PUSHDATA1;
  if (n <= 65535) return opcode === OP.PUSHDATA2;
  return true;
}

/** IsDefinedHashtypeSignature (STRICTENC only). */
function hasDefinedHashType(sig: Uint8Array): boolean {
  if (sig.length === 0) return false;
  const base = sig[sig.length - 1] & ~0x80;
  return base >= 1 && base <= 3;
}

/** CheckSignatureEncoding; an empty signature is always allowed (it just fails to verify). */
export function checkSignatureEncoding(sig: Uint8Array, flags: number): ScriptErrorCode | null {
  if (sig.length === 0) return null;
  if (flags & (SCRIPT_VERIFY.DERSIG | SCRIPT_VERIFY.LOW_S | SCRIPT_VERIFY.STRICTENC) && !isStrictDerSignature(sig)) return 'SIG_DER';
  if (flags & SCRIPT_VERIFY.LOW_S) {
    // IsLowDERSignature: the DER is strict here; CheckLowS lax-parses it.
    const compact = parseDerLax(sig.subarray(0, sig.length - 1));
    if (!compact || isHighS(compact)) return 'SIG_HIGH_S';
  }
  if (flags & SCRIPT_VERIFY.STRICTENC && !hasDefinedHashType(sig)) return 'SIG_HASHTYPE';
  return null;
}

/** CheckPubKeyEncoding: only STRICTENC restricts keys (to 02/03 + 32 or 04 + 64 bytes). */
export function checkPubKeyEncoding(pubkey: Uint8Array, flags: number): ScriptErrorCode | null {
  if (!(flags & SCRIPT_VERIFY.STRICTENC)) return null;
  if (pubkey.length === 33 && (pubkey[0] === 0x02 || pubkey[0] === 0x03)) return null;
  if (pubkey.length === 65 && pubkey[0] === 0x04) return null;
  return 'PUBKEYTYPE';
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * EvalScript: run `script` on `stack` (modified in place). Returns null on
 * success, else the failure. Stack elements are never mutated in place, so
 * they may share memory with the script.
 */
export function evalScript(stack: Buffer[], script: Uint8Array, flags: number, checker: SignatureChecker): EvalFailure | null {
  const bytes = asBuffer(script);
  if (bytes.length > MAX_SCRIPT_SIZE) return { code: 'SCRIPT_SIZE', offset: 0 };
  const position = { offset: 0 };
  try {
    const code = run(stack, bytes, flags, checker, position);
    return code === null ? null : { code, offset: position.offset };
  } catch (e) {
    // Script-number failures are exceptions in the reference too (caught there as UNKNOWN_ERROR).
    if (e instanceof ScriptNumError) return { code: e.code, offset: position.offset };
    return { code: 'UNKNOWN_ERROR', offset: position.offset };
  }
}

function run(stack: Buffer[], script: Buffer, flags: number, checker: SignatureChecker, position: { offset: number }): ScriptErrorCode | null {
  const end = script.length;
  const requireMinimal = (flags & SCRIPT_VERIFY.MINIMALDATA) !== 0;
  const discourageNops = (flags & SCRIPT_VERIFY.DISCOURAGE_UPGRADABLE_NOPS) !== 0;
  const cursor = newCursor();
  const altstack: Buffer[] = [];
  // vfExec, with a count of its false entries so "executing?" is O(1).
  const conditions: boolean[] = [];
  let falseConditions = 0;
  let codeHashStart = 0;
  let opCount = 0;
  let pc = 0;

  const top = (i: number): Buffer => stack[stack.length + i];
  const num = (item: Buffer): number => decodeNum(item, requireMinimal);

  while (pc < end) {
    const executing = falseConditions === 0;
    position.offset = pc;
    if (!readOp(script, pc, cursor)) return 'BAD_OPCODE';
    const opcode = cursor.opcode;
    pc = cursor.next;
    if (cursor.dataEnd - cursor.dataStart > MAX_SCRIPT_ELEMENT_SIZE) return 'PUSH_SIZE';
    // OP_RESERVED and the small-number pushes do not count towards the limit.
    if (opcode > OP.OP_16 && ++opCount > MAX_OPS_PER_SCRIPT) return 'OP_COUNT';
    if (isDisabledOpcode(opcode)) return 'DISABLED_OPCODE';

    if (executing && opcode <= OP.PUSHDATA4) {
      const data = script.subarray(cursor.dataStart, cursor.dataEnd);
      if (requireMinimal && !isMinimalPush(data, opcode)) return 'MINIMALDATA';
      stack.push(data);
    } else if (executing || (opcode >= OP.IF && opcode <= OP.ENDIF)) {
      switch (opcode) {
        // Push value
        case OP.NEGATE1:
        case 0x51:
        case 0x52:
        case 0x53:
        case 0x54:
        case 0x55:
        case 0x56:
        case 0x57:
        case 0x58:
        case 0x59:
        case 0x5a:
        case 0x5b:
        case 0x5c:
        case 0x5d:
        case 0x5e:
        case 0x5f:
        case 0x60:
          stack.push(encodeNum(opcode - (OP.OP_1 - 1)));
          break;

        // Control
        case OP.NOP:
          break;

        case OP.CHECKLOCKTIMEVERIFY: {
          if (!(flags & SCRIPT_VERIFY.CHECKLOCKTIMEVERIFY)) {
            if (discourageNops) return 'DISCOURAGE_UPGRADABLE_NOPS';
            break;
          }
          if (stack.length < 1) return 'INVALID_STACK_OPERATION';
          // 5-byte operands so lock times past 2038 stay expressible (BIP65).
          const lockTime = decodeNum(top(-1), requireMinimal, LOCKTIME_MAX_NUM_SIZE);
          if (lockTime < 0) return 'NEGATIVE_LOCKTIME';
          if (!checker.checkLockTime(lockTime)) return 'UNSATISFIED_LOCKTIME';
          break;
        }

        case OP.CHECKATTENUATIONVERIFY: {
          if (!(flags & SCRIPT_VERIFY.CHECKATTENUATIONVERIFY)) {
            if (discourageNops) return 'DISCOURAGE_UPGRADABLE_NOPS';
            break;
          }
          // MVS: <model param> <input point> CHECKATTENUATIONVERIFY checks the
          // parameter's format only, then consumes both (unlike CLTV/CSV).
          if (stack.length < 2) return 'INVALID_STACK_OPERATION';
          if (!isValidModelParamFormat(top(-2))) return 'INVALID_MODEL_PARAM';
          stack.pop();
          stack.pop();
          break;
        }

        case OP.CHECKSEQUENCEVERIFY: {
          if (!(flags & SCRIPT_VERIFY.CHECKSEQUENCEVERIFY)) {
            if (discourageNops) return 'DISCOURAGE_UPGRADABLE_NOPS';
            break;
          }
          if (stack.length < 1) return 'INVALID_STACK_OPERATION';
          const sequence = decodeNum(top(-1), requireMinimal, LOCKTIME_MAX_NUM_SIZE);
          if (sequence < 0) return 'NEGATIVE_LOCKTIME';
          // Operand bit 31 set: reserved for future soft forks, acts as a NOP.
          if (Math.floor(sequence / TWO_POW_31) % 2 === 1) break;
          if (!checker.checkSequence(sequence)) return 'UNSATISFIED_LOCKTIME';
          break;
        }

        case OP.NOP1:
        case OP.NOP5:
        case OP.NOP6:
        case OP.NOP7:
        case OP.NOP8:
        case OP.NOP9:
        case OP.NOP10:
          if (discourageNops) return 'DISCOURAGE_UPGRADABLE_NOPS';
          break;

        case OP.IF:
        case OP.NOTIF: {
          let value = false;
          if (executing) {
            if (stack.length < 1) return 'UNBALANCED_CONDITIONAL';
            value = castToBool(top(-1));
            if (opcode === OP.NOTIF) value = !value;
            stack.pop();
          }
          conditions.push(value);
          if (!value) falseConditions++;
          break;
        }

        case OP.ELSE: {
          if (conditions.length === 0) return 'UNBALANCED_CONDITIONAL';
          const last = conditions.length - 1;
          conditions[last] = !conditions[last];
          falseConditions += conditions[last] ? -1 : 1;
          break;
        }

        case OP.ENDIF: {
          if (conditions.length === 0) return 'UNBALANCED_CONDITIONAL';
          if (!conditions.pop()) falseConditions--;
          break;
        }

        case OP.VERIFY: {
          if (stack.length < 1) return 'INVALID_STACK_OPERATION';
          if (!castToBool(top(-1))) return 'VERIFY';
          stack.pop();
          break;
        }

        case OP.RETURN:
          return 'OP_RETURN';

        // Stack operations
        case OP.TOALTSTACK:
          if (stack.length < 1) return 'INVALID_STACK_OPERATION';
          altstack.push(stack.pop()!);
          break;

        case OP.FROMALTSTACK:
          if (altstack.length < 1) return 'INVALID_ALTSTACK_OPERATION';
          stack.push(altstack.pop()!);
          break;

        case OP.TWODROP:
          if (stack.length < 2) return 'INVALID_STACK_OPERATION';
          stack.pop();
          stack.pop();
          break;

        case OP.TWODUP: {
          if (stack.length < 2) return 'INVALID_STACK_OPERATION';
          const a = top(-2);
          const b = top(-1);
          stack.push(a, b);
          break;
        }

        case OP.THREEDUP: {
          if (stack.length < 3) return 'INVALID_STACK_OPERATION';
          const a = top(-3);
          const b = top(-2);
          const c = top(-1);
          stack.push(a, b, c);
          break;
        }

        case OP.TWOOVER: {
          if (stack.length < 4) return 'INVALID_STACK_OPERATION';
          const a = top(-4);
          const b = top(-3);
          stack.push(a, b);
          break;
        }

        case OP.TWOROT: {
          if (stack.length < 6) return 'INVALID_STACK_OPERATION';
          const [a, b] = stack.splice(stack.length - 6, 2);
          stack.push(a, b);
          break;
        }

        case OP.TWOSWAP: {
          if (stack.length < 4) return 'INVALID_STACK_OPERATION';
          const n = stack.length;
          [stack[n - 4], stack[n - 2]] = [stack[n - 2], stack[n - 4]];
          [stack[n - 3], stack[n - 1]] = [stack[n - 1], stack[n - 3]];
          break;
        }

        case OP.IFDUP: {
          if (stack.length < 1) return 'INVALID_STACK_OPERATION';
          const a = top(-1);
          if (castToBool(a)) stack.push(a);
          break;
        }

        case OP.DEPTH:
          stack.push(encodeNum(stack.length));
          break;

        case OP.DROP:
          if (stack.length < 1) return 'INVALID_STACK_OPERATION';
          stack.pop();
          break;

        case OP.DUP:
          if (stack.length < 1) return 'INVALID_STACK_OPERATION';
          stack.push(top(-1));
          break;

        case OP.NIP:
          if (stack.length < 2) return 'INVALID_STACK_OPERATION';
          stack.splice(stack.length - 2, 1);
          break;

        case OP.OVER:
          if (stack.length < 2) return 'INVALID_STACK_OPERATION';
          stack.push(top(-2));
          break;

        case OP.PICK:
        case OP.ROLL: {
          if (stack.length < 2) return 'INVALID_STACK_OPERATION';
          const n = clampInt32(num(top(-1)));
          stack.pop();
          if (n < 0 || n >= stack.length) return 'INVALID_STACK_OPERATION';
          const item = top(-n - 1);
          if (opcode === OP.ROLL) stack.splice(stack.length - n - 1, 1);
          stack.push(item);
          break;
        }

        case OP.ROT: {
          if (stack.length < 3) return 'INVALID_STACK_OPERATION';
          const [a] = stack.splice(stack.length - 3, 1);
          stack.push(a);
          break;
        }

        case OP.SWAP: {
          if (stack.length < 2) return 'INVALID_STACK_OPERATION';
          const n = stack.length;
          [stack[n - 2], stack[n - 1]] = [stack[n - 1], stack[n - 2]];
          break;
        }

        case OP.TUCK: {
          if (stack.length < 2) return 'INVALID_STACK_OPERATION';
          stack.splice(stack.length - 2, 0, top(-1));
          break;
        }

        case OP.SIZE:
          if (stack.length < 1) return 'INVALID_STACK_OPERATION';
          stack.push(encodeNum(top(-1).length));
          break;

        // Bitwise logic
        case OP.EQUAL:
        case OP.EQUALVERIFY: {
          if (stack.length < 2) return 'INVALID_STACK_OPERATION';
          const equal = top(-2).equals(top(-1));
          stack.pop();
          stack.pop();
          if (opcode === OP.EQUALVERIFY) {
            if (!equal) return 'EQUALVERIFY';
          } else {
            stack.push(equal ? TRUE : FALSE);
          }
          break;
        }

        // Numeric
        case OP.ONEADD:
        case OP.ONESUB:
        case OP.NEGATE:
        case OP.ABS:
        case OP.NOT:
        case OP.ZERONOTEQUAL: {
          if (stack.length < 1) return 'INVALID_STACK_OPERATION';
          let n = num(top(-1));
          switch (opcode) {
            case OP.ONEADD:
              n += 1;
              break;
            case OP.ONESUB:
              n -= 1;
              break;
            case OP.NEGATE:
              n = -n;
              break;
            case OP.ABS:
              if (n < 0) n = -n;
              break;
            case OP.NOT:
              n = n === 0 ? 1 : 0;
              break;
            default:
              n = n !== 0 ? 1 : 0;
          }
          stack.pop();
          stack.push(encodeNum(n));
          break;
        }

        case OP.ADD:
        case OP.SUB:
        case OP.BOOLAND:
        case OP.BOOLOR:
        case OP.NUMEQUAL:
        case OP.NUMEQUALVERIFY:
        case OP.NUMNOTEQUAL:
        case OP.LESSTHAN:
        case OP.GREATERTHAN:
        case OP.LESSTHANOREQUAL:
        case OP.GREATERTHANOREQUAL:
        case OP.MIN:
        case OP.MAX: {
          if (stack.length < 2) return 'INVALID_STACK_OPERATION';
          const a = num(top(-2));
          const b = num(top(-1));
          let n: number;
          switch (opcode) {
            case OP.ADD:
              n = a + b;
              break;
            case OP.SUB:
              n = a - b;
              break;
            case OP.BOOLAND:
              n = a !== 0 && b !== 0 ? 1 : 0;
              break;
            case OP.BOOLOR:
              n = a !== 0 || b !== 0 ? 1 : 0;
              break;
            case OP.NUMEQUAL:
            case OP.NUMEQUALVERIFY:
              n = a === b ? 1 : 0;
              break;
            case OP.NUMNOTEQUAL:
              n = a !== b ? 1 : 0;
              break;
            case OP.LESSTHAN:
              n = a < b ? 1 : 0;
              break;
            case OP.GREATERTHAN:
              n = a > b ? 1 : 0;
              break;
            case OP.LESSTHANOREQUAL:
              n = a <= b ? 1 : 0;
              break;
            case OP.GREATERTHANOREQUAL:
              n = a >= b ? 1 : 0;
              break;
            case OP.MIN:
              n = a < b ? a : b;
              break;
            default:
              n = a > b ? a : b;
          }
          stack.pop();
          stack.pop();
          if (opcode === OP.NUMEQUALVERIFY) {
            if (n === 0) return 'NUMEQUALVERIFY';
          } else {
            stack.push(encodeNum(n));
          }
          break;
        }

        case OP.WITHIN: {
          if (stack.length < 3) return 'INVALID_STACK_OPERATION';
          const x = num(top(-3));
          const min = num(top(-2));
          const max = num(top(-1));
          stack.pop();
          stack.pop();
          stack.pop();
          stack.push(min <= x && x < max ? TRUE : FALSE);
          break;
        }

        // Crypto
        case OP.RIPEMD160:
        case OP.SHA1:
        case OP.SHA256:
        case OP.HASH160:
        case OP.HASH256: {
          if (stack.length < 1) return 'INVALID_STACK_OPERATION';
          const item = stack.pop()!;
          const digest =
            opcode === OP.RIPEMD160
              ? ripemd160(item)
              : opcode === OP.SHA1
                ? sha1(item)
                : opcode === OP.SHA256
                  ? sha256(item)
                  : opcode === OP.HASH160
                    ? hash160(item)
                    : sha256d(item);
          stack.push(digest);
          break;
        }

        case OP.CODESEPARATOR:
          // The signed scriptCode starts after the last executed separator.
          codeHashStart = pc;
          break;

        case OP.CHECKSIG:
        case OP.CHECKSIGVERIFY: {
          if (stack.length < 2) return 'INVALID_STACK_OPERATION';
          const sig = top(-2);
          const pubkey = top(-1);
          // A signature cannot sign itself: drop its push from the scriptCode.
          const scriptCode = findAndDelete(script.subarray(codeHashStart), pushEncoding(sig));
          const encodingError = checkSignatureEncoding(sig, flags) ?? checkPubKeyEncoding(pubkey, flags);
          if (encodingError) return encodingError;
          const success = checker.checkSig(sig, pubkey, scriptCode);
          stack.pop();
          stack.pop();
          if (opcode === OP.CHECKSIGVERIFY) {
            if (!success) return 'CHECKSIGVERIFY';
          } else {
            stack.push(success ? TRUE : FALSE);
          }
          break;
        }

        case OP.CHECKMULTISIG:
        case OP.CHECKMULTISIGVERIFY: {
          // ([sig ...] num_of_signatures [pubkey ...] num_of_pubkeys -- bool)
          let i = 1;
          if (stack.length < i) return 'INVALID_STACK_OPERATION';
          let keysLeft = clampInt32(num(top(-i)));
          if (keysLeft < 0 || keysLeft > MAX_PUBKEYS_PER_MULTISIG) return 'PUBKEY_COUNT';
          opCount += keysLeft;
          if (opCount > MAX_OPS_PER_SCRIPT) return 'OP_COUNT';
          let keyIndex = ++i;
          i += keysLeft;
          if (stack.length < i) return 'INVALID_STACK_OPERATION';
          let sigsLeft = clampInt32(num(top(-i)));
          if (sigsLeft < 0 || sigsLeft > keysLeft) return 'SIG_COUNT';
          let sigIndex = ++i;
          i += sigsLeft;
          if (stack.length < i) return 'INVALID_STACK_OPERATION';

          let scriptCode = script.subarray(codeHashStart);
          for (let k = 0; k < sigsLeft; k++) scriptCode = findAndDelete(scriptCode, pushEncoding(top(-sigIndex - k)));

          let success = true;
          while (success && sigsLeft > 0) {
            const sig = top(-sigIndex);
            const pubkey = top(-keyIndex);
            // Encodings are checked pair by pair, so unreached ones never are.
            const encodingError = checkSignatureEncoding(sig, flags) ?? checkPubKeyEncoding(pubkey, flags);
            if (encodingError) return encodingError;
            if (checker.checkSig(sig, pubkey, scriptCode)) {
              sigIndex++;
              sigsLeft--;
            }
            keyIndex++;
            keysLeft--;
            // More signatures left than keys: it cannot succeed any more.
            if (sigsLeft > keysLeft) success = false;
          }

          while (i-- > 1) stack.pop();
          // The historical extra pop; its value is unchecked unless NULLDUMMY.
          if (stack.length < 1) return 'INVALID_STACK_OPERATION';
          if (flags & SCRIPT_VERIFY.NULLDUMMY && top(-1).length !== 0) return 'SIG_NULLDUMMY';
          stack.pop();

          if (opcode === OP.CHECKMULTISIGVERIFY) {
            if (!success) return 'CHECKMULTISIGVERIFY';
          } else {
            stack.push(success ? TRUE : FALSE);
          }
          break;
        }

        default:
          // OP_RESERVED, OP_VER, OP_VERIF, OP_VERNOTIF, OP_RESERVED1/2, 0xba–0xff.
          return 'BAD_OPCODE';
      }
    }

    if (stack.length + altstack.length > MAX_STACK_SIZE) return 'STACK_SIZE';
  }

  if (conditions.length !== 0) {
    position.offset = end;
    return 'UNBALANCED_CONDITIONAL';
  }
  return null;
}

function describe(failure: EvalFailure, phase: string, script: Uint8Array): string {
  const opcode = failure.offset < script.length ? script[failure.offset] : -1;
  const name = opcode >= 1 && opcode <= 75 ? `push of ${opcode} bytes` : opcodeName(opcode);
  const at = opcode >= 0 ? `${name} at byte ${failure.offset}` : 'end of script';
  return `${phase}, ${at}`;
}

/**
 * VerifyScript: scriptSig, then scriptPubKey on the resulting stack, then —
 * under P2SH, when scriptPubKey is exactly `HASH160 <20> EQUAL` — the redeem
 * script (the scriptSig's last push) on the scriptSig's stack, which must
 * come from a push-only scriptSig.
 */
export function verifyScript(scriptSig: Uint8Array, scriptPubKey: Uint8Array, flags: number, checker: SignatureChecker): VerifyResult {
  return verifyPayKeyHash(scriptSig, scriptPubKey, flags, checker) ?? interpretScripts(scriptSig, scriptPubKey, flags, checker);
}

const P2PKH_SIGNATURE_CHECK_FALSE = scriptError('EVAL_FALSE', 'scriptPubKey');

/**
 * The common case without the interpreter: a P2PKH output spent by a
 * scriptSig of exactly two direct pushes. Returns what interpretScripts
 * returns, or null when the input is anything else or any step would fail
 * before the signature check (the interpreter then gives the exact code).
 *
 * Why it is the same verdict: the scriptSig is push-only and minimal, the
 * output runs DUP HASH160 <h> EQUALVERIFY CHECKSIG on [sig, pubkey] leaving
 * one item, so no flag changes the outcome except the encoding checks, which
 * run here with the same flags; the scriptCode is the whole output script
 * (no code separator, and FindAndDelete only matches a 20-byte signature,
 * which is left to the interpreter).
 */
function verifyPayKeyHash(scriptSig: Uint8Array, scriptPubKey: Uint8Array, flags: number, checker: SignatureChecker): VerifyResult | null {
  const s = scriptPubKey;
  if (!isPayKeyHashBytes(s)) return null;
  const sigLength = scriptSig[0];
  if (sigLength === undefined || sigLength < 9 || sigLength > 75 || sigLength === 20) return null;
  const keyAt = 1 + sigLength;
  const keyLength = scriptSig[keyAt];
  if ((keyLength !== 33 && keyLength !== 65) || keyAt + 1 + keyLength !== scriptSig.length) return null;
  const sigScript = asBuffer(scriptSig);
  const sig = sigScript.subarray(1, keyAt);
  const pubkey = sigScript.subarray(keyAt + 1);
  if (checkSignatureEncoding(sig, flags) || checkPubKeyEncoding(pubkey, flags)) return null;
  try {
    if (!hash160(pubkey).equals(s.subarray(3, 23))) return null;
    return checker.checkSig(sig, pubkey, asBuffer(s)) ? VERIFY_OK : P2PKH_SIGNATURE_CHECK_FALSE;
  } catch {
    // The interpreter reports a throwing checker as its own failure code.
    return null;
  }
}

/** VerifyScript by interpreting both scripts (and a P2SH redeem script), for every kind of script. */
export function interpretScripts(scriptSig: Uint8Array, scriptPubKey: Uint8Array, flags: number, checker: SignatureChecker): VerifyResult {
  if (flags & SCRIPT_VERIFY.SIGPUSHONLY && !isPushOnly(scriptSig)) return scriptError('SIG_PUSHONLY', 'scriptSig');

  let stack: Buffer[] = [];
  let failure = evalScript(stack, scriptSig, flags, checker);
  if (failure) return scriptError(failure.code, describe(failure, 'scriptSig', scriptSig));
  const p2sh = (flags & SCRIPT_VERIFY.P2SH) !== 0;
  const stackAfterSig = p2sh ? stack.slice() : null;

  failure = evalScript(stack, scriptPubKey, flags, checker);
  if (failure) return scriptError(failure.code, describe(failure, 'scriptPubKey', scriptPubKey));
  if (stack.length === 0 || !castToBool(stack[stack.length - 1])) return scriptError('EVAL_FALSE', 'scriptPubKey');

  if (p2sh && isPayToScriptHash(scriptPubKey)) {
    if (!isPushOnly(scriptSig)) return scriptError('SIG_PUSHONLY', 'P2SH scriptSig must be push-only');
    stack = stackAfterSig!;
    // Non-empty: HASH160 on an empty stack would have failed above.
    const redeemScript = stack.pop()!;
    failure = evalScript(stack, redeemScript, flags, checker);
    if (failure) return scriptError(failure.code, describe(failure, 'redeem script', redeemScript));
    if (stack.length === 0 || !castToBool(stack[stack.length - 1])) return scriptError('EVAL_FALSE', 'redeem script');
  }

  // Core asserts P2SH alongside CLEANSTACK; here the check simply applies.
  if (flags & SCRIPT_VERIFY.CLEANSTACK && stack.length !== 1) return scriptError('CLEANSTACK', `${stack.length} items left`);
  return VERIFY_OK;
}
