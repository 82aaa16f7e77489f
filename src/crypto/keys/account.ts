import { Address, type AddressVersions } from '../../primitives/address.js';
import { hash160 } from '../hash.js';
import { HDKey } from './bip32.js';
import { mnemonicToSeed } from './bip39.js';
import type { Secp256k1Backend } from '../secp256k1/types.js';
import { getSecp256k1 } from '../secp256k1/index.js';

/**
 * The reference wallet's key layout (mvs-wire §5.3): BIP39 seed with an empty
 * passphrase → BIP32 master → address i is the non-hardened child m/i of the
 * master, compressed, paid to as P2PKH with the network's version
 * (src/lib/explorer/extensions/commands/getnewaddress.cpp; the JS wallet
 * canguruhh/metaversejs src/wallet.js does the same). No BIP44 path, no coin type.
 */

export interface AccountKey {
  index: number;
  path: string;
  privateKey: Buffer;
  /** 33-byte compressed public key. */
  publicKey: Buffer;
  address: Address;
}

/** P2PKH address of a public key (33 or 65 bytes; hashed as given). */
export function publicKeyAddress(publicKey: Uint8Array, versions: AddressVersions): Address {
  return new Address(versions.pubkeyHash, hash160(publicKey));
}

/** The account's master key from its mnemonic (empty passphrase, as the node uses). */
export function accountMasterKey(mnemonic: string | readonly string[], passphrase = '', backend: Secp256k1Backend = getSecp256k1()): HDKey {
  return HDKey.fromSeed(mnemonicToSeed(mnemonic, passphrase), backend);
}

/** Address key i of an account: child m/i of the master (non-hardened). */
export function deriveAccountKey(master: HDKey, index: number, versions: AddressVersions): AccountKey {
  if (master.depth !== 0) throw new RangeError('account keys derive from the master key (depth 0)');
  if (!Number.isInteger(index) || index < 0 || index >= 0x80000000) throw new RangeError(`account address index ${index} out of range`);
  const child = master.derive(index);
  if (!child.privateKey) throw new RangeError('account derivation needs the private master key');
  return {
    index,
    path: `m/${index}`,
    privateKey: child.privateKey,
    publicKey: child.publicKey,
    address: publicKeyAddress(child.publicKey, versions),
  };
}

/** The first `count` account addresses, m/0 … m/(count−1). */
export function deriveAccountKeys(master: HDKey, count: number, versions: AddressVersions): AccountKey[] {
  const keys: AccountKey[] = [];
  for (let i = 0; i < count; i++) keys.push(deriveAccountKey(master, i, versions));
  return keys;
}
