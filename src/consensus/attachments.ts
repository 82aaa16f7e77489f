import { Attachment, ATTACHMENT_TYPE, CERT_HAS_CONTENT, MIT_STATUS } from '../primitives/attachment.js';
import { varintSize } from '../primitives/writer.js';

/**
 * Attachment validity and symbol syntax (mvs-consensus §5.7, §5.13). These are
 * the structural rules of check_transaction; the asset / certificate / MIT /
 * DID business rules that need chain state are a separate module (not enforced
 * yet — see docs/consensus.md).
 */

/** attachment::is_valid (required for tx version ≥ 4; also decides a coinstake's "null" output 0). */
export function isAttachmentValid(att: Attachment): boolean {
  if (att.type > ATTACHMENT_TYPE.MIT) return false;
  const b = att.body;
  switch (b.kind) {
    case 'etp':
    case 'etp_award':
      return true;
    case 'asset_issue': {
      if (b.symbol.length === 0) return false;
      const secondary = b.secondaryIssueThreshold >= 128;
      if (!secondary && b.maximumSupply === 0n) return false;
      return b.symbol.length + b.issuer.length + b.address.length + b.description.length + 16 <= 268;
    }
    case 'asset_transfer':
      return b.symbol.length > 0 && b.quantity !== 0n && b.symbol.length + 1 <= 64;
    case 'message':
      return b.content.length > 0 && varintSize(b.content.length) + b.content.length + 1 <= 256;
    case 'did':
      return b.symbol.length > 0 && b.symbol.length + b.address.length + 2 <= 128;
    case 'cert': {
      if (b.symbol.length === 0 || b.owner.length === 0 || b.certType === 0) return false;
      const hasContent = (b.certType & CERT_HAS_CONTENT) !== 0;
      let size = b.symbol.length + 1 + (b.owner.length + 1) + (b.address.length + 1) + 5;
      if (hasContent) size += (b.content?.length ?? 0) + 1;
      return size <= (hasContent ? 261 : 197);
    }
    case 'mit': {
      if (b.symbol.length === 0 || b.address.length === 0) return false;
      if (b.status !== MIT_STATUS.REGISTER && b.status !== MIT_STATUS.TRANSFER) return false;
      const content = b.status === MIT_STATUS.REGISTER ? (b.content?.length ?? 0) : 0;
      // asset_mit::is_valid: (symbol+1) + (address+1) + (content+1) ≤ 64 + 64 + 256
      return b.symbol.length + 1 + b.address.length + 1 + content + 1 <= 384;
    }
    case 'none':
      return false;
  }
}

/** The ban list (dictionary_symbol.cpp): a symbol is sensitive if it *contains* one of these. */
const SENSITIVE = [
  'HUJINTAO', 'WENJIABAO', 'WJB', 'XIJINPING', 'XJP', 'TANKMAN', 'LIUSI', 'VPN', '64MEMO', 'GFW', 'FREEDOM',
  'FREECHINA', 'LIKEQIANG', 'ZHOUYONGKANG', 'LICHANGCHUN', 'WUBANGGUO', 'HEGUOQIANG', 'JIANGZEMIN', 'JZM',
  'FUCK', 'SHIT', '198964', 'GONGCHANDANG', 'GCD', 'TUGONG', 'COMMUNISM', 'FALUNGONG', 'COMMUNIST', 'PARTY',
  'CCP', 'CPC', 'HONGZHI', 'LIHONGZHI', 'LHZ', 'DAJIYUAN', 'ZANGDU', 'DALAI', 'MINZHU', 'CHINA', 'CHINESE',
  'TAIWAN', 'SHABI', 'PENIS', 'J8', 'ISLAM', 'ALLHA', 'USD', 'CNY', 'EUR', 'AUD', 'GBP', 'CHF', 'ETP', 'CURRENCY',
  'ASSET', 'BALANCE', 'EXCHANGE', 'TOKEN', 'BUY', 'SELL', 'ASK', 'BID', 'DID', 'ZEN.',
];

export function isSensitiveSymbol(upper: string): boolean {
  return SENSITIVE.some((w) => upper.includes(w));
}

const isAlnum = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isLower = (c: number) => c >= 0x61 && c <= 0x7a;

function asciiUpper(b: Buffer): string {
  return b.toString('latin1').toUpperCase();
}

/** Asset and certificate symbols (is_valid_symbol): 1–64 of [A-Za-z0-9.]; v ≥ 4 adds no lower case and the ban list. */
export function isValidAssetSymbol(symbol: Buffer, txVersion: number): boolean {
  if (symbol.length === 0 || symbol.length > 64) return false;
  for (const c of symbol) if (!(isAlnum(c) || c === 0x2e)) return false;
  if (txVersion >= 4) {
    for (const c of symbol) if (isLower(c)) return false;
    if (isSensitiveSymbol(symbol.toString('latin1'))) return false;
  }
  return true;
}

const isDidChar = (c: number) => isAlnum(c) || c === 0x2e || c === 0x40 || c === 0x5f || c === 0x2d;

/** DID symbols: 1–64 of [A-Za-z0-9.@_-]; the upper-cased form must not be sensitive when `checkBanList` (mainnet only). */
export function isValidDidSymbol(symbol: Buffer, checkBanList: boolean): boolean {
  if (symbol.length === 0 || symbol.length > 64) return false;
  for (const c of symbol) if (!isDidChar(c)) return false;
  return !(checkBanList && isSensitiveSymbol(asciiUpper(symbol)));
}

/** MIT symbols: as DID symbols, with the ban list on every network. */
export function isValidMitSymbol(symbol: Buffer): boolean {
  return isValidDidSymbol(symbol, true);
}
