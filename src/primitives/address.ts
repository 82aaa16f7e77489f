import { base58CheckDecode, base58CheckEncode } from './base58.js';
import { CodecError } from './errors.js';
import { Script, p2pkhScript, p2shScript, classify, parseOps } from './script.js';
import { hash160 } from '../crypto/hash.js';

/** Version bytes of one network (mvs-wire §1.1, §5.3). */
export interface AddressVersions {
  pubkeyHash: number;
  scriptHash: number;
}

export const P2SH_VERSION = 0x05;
/** The burn address `1111111111111111111114oLvT2` (version 0, zero hash) of the blackhole pattern. */
export const BLACKHOLE_ADDRESS = '1111111111111111111114oLvT2';

export type AddressKind = 'p2pkh' | 'p2sh';

/** A base58check payment address: version byte + hash160. */
export class Address {
  constructor(
    readonly version: number,
    readonly hash: Buffer,
  ) {
    if (hash.length !== 20) throw new CodecError('BAD_VALUE', 'address hash must be 20 bytes');
  }

  static fromString(text: string): Address {
    const payload = base58CheckDecode(text);
    if (payload.length !== 21) throw new CodecError('BAD_ENCODING', 'address payload must be 21 bytes');
    return new Address(payload[0], Buffer.from(payload.subarray(1)));
  }

  /** Parse and check the version against a network; null when invalid or foreign. */
  static parse(text: string, versions: AddressVersions): Address | null {
    try {
      const a = Address.fromString(text);
      return a.version === versions.pubkeyHash || a.version === versions.scriptHash ? a : null;
    } catch {
      return null;
    }
  }

  toString(): string {
    return base58CheckEncode(Buffer.concat([Buffer.from([this.version]), this.hash]));
  }

  kind(versions: AddressVersions): AddressKind | null {
    if (this.version === versions.pubkeyHash) return 'p2pkh';
    if (this.version === versions.scriptHash) return 'p2sh';
    return null;
  }

  /** The output script paying this address on `versions`' network. */
  toScript(versions: AddressVersions): Script {
    const k = this.kind(versions);
    if (k === 'p2pkh') return p2pkhScript(this.hash);
    if (k === 'p2sh') return p2shScript(this.hash);
    throw new CodecError('BAD_VALUE', `address version ${this.version} is not used on this network`);
  }

  equals(other: Address): boolean {
    return this.version === other.version && this.hash.equals(other.hash);
  }
}

/**
 * The payment address an output script pays, as payment_address::extract reads
 * it: the P2PKH family (plain, deposit, attenuation, stake lock), P2SH, a bare
 * public key (the P2PKH address of its hash160) and the lone `return` (the
 * blackhole burn address). Null otherwise. The address index, the wallet, the
 * RPC formatter and consensus (deposit pairing, coinstake) all use this one.
 */
export function scriptAddress(script: Script, versions: AddressVersions): Address | null {
  const ops = script.ops;
  if (!ops) return null;
  switch (classify(ops)) {
    case 'pay_key_hash':
      return new Address(versions.pubkeyHash, ops[2].data!);
    case 'pay_key_hash_with_lock_height':
      return new Address(versions.pubkeyHash, ops[4].data!);
    case 'pay_key_hash_with_attenuation_model':
    case 'pay_key_hash_with_sequence_lock':
      return new Address(versions.pubkeyHash, ops[5].data!);
    case 'pay_script_hash':
      return new Address(versions.scriptHash, ops[1].data!);
    case 'pay_public_key':
      return new Address(versions.pubkeyHash, hash160(ops[0].data!));
    case 'pay_blackhole_address':
      return new Address(0, Buffer.alloc(20));
    default:
      return null;
  }
}

/**
 * The address an input script spends from, when it reveals it: `<sig>
 * <pubkey>` (and the deposit form `<sig> <pubkey> <height>`) → P2PKH of
 * hash160(pubkey); `zero <sig>… <redeem>` with a multisig redeem script, or a
 * push-only script ending in a standard script → P2SH of hash160(redeem).
 * Callers skip coinbase inputs (their scripts are raw data).
 */
export function inputAddress(script: Script, versions: AddressVersions): Address | null {
  const ops = script.ops;
  if (!ops || ops.length === 0) return null;
  switch (classify(ops)) {
    case 'sign_key_hash':
    case 'sign_key_hash_with_lock_height':
      return new Address(versions.pubkeyHash, hash160(ops[1].data!));
    case 'sign_multisig': {
      const redeem = ops[ops.length - 1].data;
      if (!redeem || redeem.length === 0) return null;
      const inner = parseOps(redeem);
      if (!inner || classify(inner) !== 'pay_multisig') return null;
      return new Address(versions.scriptHash, hash160(redeem));
    }
    case 'sign_script_hash':
      return new Address(versions.scriptHash, hash160(ops[ops.length - 1].data!));
    default:
      return null;
  }
}
