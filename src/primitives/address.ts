import { base58CheckDecode, base58CheckEncode } from './base58.js';
import { CodecError } from './errors.js';
import { Script, p2pkhScript, p2shScript } from './script.js';
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
 * The payment address an output script pays (the P2PKH family — plain,
 * deposit, attenuation, sequence lock — or P2SH), or null.
 */
export function scriptAddress(script: Script, versions: AddressVersions): Address | null {
  const pkh = script.getPubkeyHash();
  if (pkh) return new Address(versions.pubkeyHash, pkh);
  const sh = script.getScriptHash();
  if (sh) return new Address(versions.scriptHash, sh);
  return null;
}

/**
 * The address an input script spends from, as payment_address::extract reads
 * it: `<sig> <pubkey>` (and the deposit form `<sig> <pubkey> <height>`) → P2PKH
 * of hash160(pubkey); multisig / P2SH spends (`zero <sig>… <redeem>`, push-only
 * ending in a script) → P2SH of hash160(redeem script). Null otherwise.
 */
export function inputAddress(script: Script, versions: AddressVersions): Address | null {
  const ops = script.ops;
  if (!ops || ops.length === 0) return null;
  switch (script.pattern()) {
    case 'sign_key_hash':
    case 'sign_key_hash_with_lock_height':
      return new Address(versions.pubkeyHash, hash160(ops[1].data!));
    case 'sign_multisig':
    case 'sign_script_hash': {
      const redeem = ops[ops.length - 1].data;
      return redeem && redeem.length > 0 ? new Address(versions.scriptHash, hash160(redeem)) : null;
    }
    default:
      return null;
  }
}
