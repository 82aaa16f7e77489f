/**
 * mvs-node as a library: the node's data structures and codecs, network
 * parameters and pure consensus helpers (documented in docs/api.md).
 */
export { Transaction, TxInput, TxOutput, OutPoint } from './primitives/transaction.js';
export { Block, MAX_BLOCK_SIZE } from './primitives/block.js';
export { BlockHeader, HEADER_SIZE, BLOCK_VERSION } from './primitives/header.js';
export {
  Attachment,
  ATTACHMENT_TYPE,
  ASSET_STATUS,
  DID_STATUS,
  MIT_STATUS,
  CERT_STATUS,
  CERT_TYPE,
  DID_ATTACH_VERSION,
  type AttachmentBody,
} from './primitives/attachment.js';
export {
  Script,
  type ScriptOp,
  type ScriptPattern,
  parseOps,
  serializeOps,
  pushOp,
  opcode,
  encodeScriptNum,
  decodeScriptNum,
  p2pkhScript,
  p2shScript,
  multisigScript,
  nullDataScript,
  lockHeightScript,
  attenuationScript,
  sequenceLockScript,
} from './primitives/script.js';
export { OP, opcodeName } from './primitives/opcodes.js';
export { Address, scriptAddress, inputAddress, P2SH_VERSION, BLACKHOLE_ADDRESS } from './primitives/address.js';
export { BufferReader } from './primitives/reader.js';
export { BufferWriter } from './primitives/writer.js';
export { CodecError, type CodecErrorCode } from './primitives/errors.js';
export { merkleRoot } from './primitives/merkle.js';
export { fromHex, toHex, hashToHex, hashFromHex } from './primitives/hex.js';
export { base58CheckEncode, base58CheckDecode } from './primitives/base58.js';
export { sha256, sha256d, hash160, keccak256, keccak512 } from './crypto/hash.js';
export { signatureHash, SIGHASH } from './consensus/sighash.js';
export { VerifyError, type VerifyErrorCode } from './consensus/errors.js';
export { requiredBits } from './consensus/difficulty.js';
export {
  networks,
  mainnet,
  testnet,
  regtest,
  getNetwork,
  blockSubsidy,
  depositReward,
  buildGenesis,
  type Network,
  type NetworkName,
  COIN,
  MAX_MONEY,
} from './networks/index.js';
