import { BufferReader } from './reader.js';
import { BufferWriter, varintSize } from './writer.js';
import { CodecError } from './errors.js';

/**
 * Output attachments (mvs-wire §4.4; mvs-consensus §5.7). Every output ends
 * with one: `version u32 | type u32 | [version 207: to_did, from_did] | body`.
 * Text fields are kept as the exact bytes so re-encoding is byte-identical
 * whatever their encoding; `text()` renders them for JSON.
 */
export const ATTACHMENT_TYPE = {
  ETP: 0,
  ETP_AWARD: 1,
  ASSET: 2,
  MESSAGE: 3,
  DID: 4,
  CERT: 5,
  MIT: 6,
  /** Coinstake output 0 marker (and any other unknown type): empty body. */
  COINSTAKE: 0xffffffff,
} as const;

/** attachment version whose layout carries to_did/from_did (DID_ATTACH_VERIFY_VERSION). */
export const DID_ATTACH_VERSION = 207;

export const ASSET_STATUS = { ISSUE: 1, TRANSFER: 2 } as const;
export const DID_STATUS = { REGISTER: 1, TRANSFER: 2 } as const;
export const MIT_STATUS = { REGISTER: 1, TRANSFER: 2 } as const;
export const CERT_STATUS = { NORMAL: 0, ISSUE: 1, TRANSFER: 2, AUTOISSUE: 3 } as const;
export const CERT_TYPE = {
  ISSUE: 1,
  DOMAIN: 2,
  NAMING: 3,
  WITNESS: 5,
  MINING: 0x60000004,
  MARRIAGE: 0x80000000,
  KYC: 0x80000001,
} as const;
/** Bit 30 of a cert type: the certificate carries a content string. */
export const CERT_HAS_CONTENT = 0x40000000;

export type AttachmentBody =
  | { kind: 'etp' }
  | { kind: 'etp_award'; height: bigint }
  | {
      kind: 'asset_issue';
      symbol: Buffer;
      maximumSupply: bigint;
      decimalNumber: number;
      /** ≥ 128 flags a secondary issue; the low 7 bits are the threshold. */
      secondaryIssueThreshold: number;
      unused2: number;
      unused3: number;
      issuer: Buffer;
      address: Buffer;
      description: Buffer;
    }
  | { kind: 'asset_transfer'; symbol: Buffer; quantity: bigint }
  | { kind: 'message'; content: Buffer }
  | { kind: 'did'; status: number; symbol: Buffer; address: Buffer }
  | { kind: 'cert'; symbol: Buffer; owner: Buffer; address: Buffer; certType: number; status: number; content: Buffer | null }
  | { kind: 'mit'; status: number; symbol: Buffer; address: Buffer; content: Buffer | null }
  | { kind: 'none' };

const EMPTY: Buffer = Buffer.alloc(0);

export function text(b: Buffer): string {
  return b.toString('utf8');
}

export function bytes(s: string | Buffer): Buffer {
  return typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
}

export class Attachment {
  constructor(
    public version: number,
    public type: number,
    public body: AttachmentBody,
    public toDid: Buffer = EMPTY,
    public fromDid: Buffer = EMPTY,
  ) {}

  static etp(version = 1): Attachment {
    return new Attachment(version, ATTACHMENT_TYPE.ETP, { kind: 'etp' });
  }

  static message(content: string | Buffer, version = 1): Attachment {
    return new Attachment(version, ATTACHMENT_TYPE.MESSAGE, { kind: 'message', content: bytes(content) });
  }

  static coinstakeMarker(): Attachment {
    return new Attachment(0, ATTACHMENT_TYPE.COINSTAKE, { kind: 'none' });
  }

  static assetTransfer(symbol: string | Buffer, quantity: bigint, version = 1): Attachment {
    return new Attachment(version, ATTACHMENT_TYPE.ASSET, { kind: 'asset_transfer', symbol: bytes(symbol), quantity });
  }

  static decode(r: BufferReader): Attachment {
    const version = r.u32le();
    const type = r.u32le();
    let toDid = EMPTY;
    let fromDid = EMPTY;
    if (version === DID_ATTACH_VERSION) {
      // The first string is to_did, the second from_did (attachment::from_data).
      toDid = r.varStringBytes('to_did');
      fromDid = r.varStringBytes('from_did');
    }
    let body: AttachmentBody;
    switch (type) {
      case ATTACHMENT_TYPE.ETP:
        body = { kind: 'etp' };
        break;
      case ATTACHMENT_TYPE.ETP_AWARD:
        body = { kind: 'etp_award', height: r.u64le() };
        break;
      case ATTACHMENT_TYPE.ASSET: {
        const status = r.u32le();
        if (status === ASSET_STATUS.ISSUE) {
          body = {
            kind: 'asset_issue',
            symbol: r.varStringBytes('asset symbol'),
            maximumSupply: r.u64le(),
            decimalNumber: r.u8(),
            secondaryIssueThreshold: r.u8(),
            unused2: r.u8(),
            unused3: r.u8(),
            issuer: r.varStringBytes('asset issuer'),
            address: r.varStringBytes('asset address'),
            description: r.varStringBytes('asset description'),
          };
        } else if (status === ASSET_STATUS.TRANSFER) {
          body = { kind: 'asset_transfer', symbol: r.varStringBytes('asset symbol'), quantity: r.u64le() };
        } else {
          // The reference fails the whole output (and so the tx and block) here.
          throw new CodecError('BAD_ASSET_STATUS', `asset attachment status ${status} is neither issue (1) nor transfer (2)`);
        }
        break;
      }
      case ATTACHMENT_TYPE.MESSAGE:
        body = { kind: 'message', content: r.varStringBytes('message') };
        break;
      case ATTACHMENT_TYPE.DID: {
        const status = r.u32le();
        if (status !== DID_STATUS.REGISTER && status !== DID_STATUS.TRANSFER) {
          throw new CodecError('BAD_DID_STATUS', `DID attachment status ${status} is neither register (1) nor transfer (2)`);
        }
        body = { kind: 'did', status, symbol: r.varStringBytes('did symbol'), address: r.varStringBytes('did address') };
        break;
      }
      case ATTACHMENT_TYPE.CERT: {
        const symbol = r.varStringBytes('cert symbol');
        const owner = r.varStringBytes('cert owner');
        const address = r.varStringBytes('cert address');
        const certType = r.u32le();
        const status = r.u8();
        const content = certType & CERT_HAS_CONTENT ? r.varStringBytes('cert content') : null;
        body = { kind: 'cert', symbol, owner, address, certType, status, content };
        break;
      }
      case ATTACHMENT_TYPE.MIT: {
        const status = r.u8();
        const symbol = r.varStringBytes('mit symbol');
        const address = r.varStringBytes('mit address');
        const content = status === MIT_STATUS.REGISTER ? r.varStringBytes('mit content') : null;
        body = { kind: 'mit', status, symbol, address, content };
        break;
      }
      default:
        // Unknown types (the coinstake marker among them) have no body.
        body = { kind: 'none' };
    }
    return new Attachment(version, type, body, toDid, fromDid);
  }

  encode(w: BufferWriter): void {
    w.u32le(this.version).u32le(this.type);
    if (this.version === DID_ATTACH_VERSION) w.varBytes(this.toDid).varBytes(this.fromDid);
    const b = this.body;
    switch (b.kind) {
      case 'etp':
      case 'none':
        break;
      case 'etp_award':
        w.u64le(b.height);
        break;
      case 'asset_issue':
        w.u32le(ASSET_STATUS.ISSUE)
          .varBytes(b.symbol)
          .u64le(b.maximumSupply)
          .u8(b.decimalNumber)
          .u8(b.secondaryIssueThreshold)
          .u8(b.unused2)
          .u8(b.unused3)
          .varBytes(b.issuer)
          .varBytes(b.address)
          .varBytes(b.description);
        break;
      case 'asset_transfer':
        w.u32le(ASSET_STATUS.TRANSFER).varBytes(b.symbol).u64le(b.quantity);
        break;
      case 'message':
        w.varBytes(b.content);
        break;
      case 'did':
        w.u32le(b.status).varBytes(b.symbol).varBytes(b.address);
        break;
      case 'cert':
        w.varBytes(b.symbol).varBytes(b.owner).varBytes(b.address).u32le(b.certType).u8(b.status);
        if (b.certType & CERT_HAS_CONTENT) w.varBytes(b.content ?? EMPTY);
        break;
      case 'mit':
        w.u8(b.status).varBytes(b.symbol).varBytes(b.address);
        if (b.status === MIT_STATUS.REGISTER) w.varBytes(b.content ?? EMPTY);
        break;
    }
  }

  /** Exact encoded length. */
  size(): number {
    let n = 8;
    if (this.version === DID_ATTACH_VERSION) n += varintSize(this.toDid.length) + this.toDid.length + varintSize(this.fromDid.length) + this.fromDid.length;
    const b = this.body;
    const vs = (x: Buffer) => varintSize(x.length) + x.length;
    switch (b.kind) {
      case 'etp':
      case 'none':
        return n;
      case 'etp_award':
        return n + 8;
      case 'asset_issue':
        return n + 4 + vs(b.symbol) + 8 + 4 + vs(b.issuer) + vs(b.address) + vs(b.description);
      case 'asset_transfer':
        return n + 4 + vs(b.symbol) + 8;
      case 'message':
        return n + vs(b.content);
      case 'did':
        return n + 4 + vs(b.symbol) + vs(b.address);
      case 'cert':
        return n + vs(b.symbol) + vs(b.owner) + vs(b.address) + 5 + (b.certType & CERT_HAS_CONTENT ? vs(b.content ?? EMPTY) : 0);
      case 'mit':
        return n + 1 + vs(b.symbol) + vs(b.address) + (b.status === MIT_STATUS.REGISTER ? vs(b.content ?? EMPTY) : 0);
    }
  }

  /**
   * The reference's capped size estimate (attachment::serialized_size and the
   * per-body helpers, mvs-consensus §5.7), used by its block and transaction
   * size limits. It equals size() for valid short strings and under-counts for
   * oversized ones.
   */
  referenceSize(): number {
    let n = 8;
    if (this.version === DID_ATTACH_VERSION) n += this.toDid.length + 1 + this.fromDid.length + 1;
    const b = this.body;
    switch (b.kind) {
      case 'etp':
      case 'none':
        return n;
      case 'etp_award':
        return n + 8;
      case 'asset_issue':
        return n + 4 + Math.min(268, b.symbol.length + b.issuer.length + b.address.length + b.description.length + 16);
      case 'asset_transfer':
        return n + 4 + Math.min(72, b.symbol.length + 9);
      case 'message':
        return n + Math.min(256, varintSize(b.content.length) + b.content.length);
      case 'did':
        return n + 4 + Math.min(128, b.symbol.length + b.address.length + 2);
      case 'cert': {
        let calc = b.symbol.length + 1 + (b.owner.length + 1) + (b.address.length + 1) + 5;
        if (b.certType & CERT_HAS_CONTENT) calc += (b.content?.length ?? 0) + 1;
        return n + Math.min(197, calc);
      }
      case 'mit': {
        if (b.status === MIT_STATUS.REGISTER) {
          return n + Math.min(385, b.symbol.length + 1 + (b.address.length + 1) + ((b.content?.length ?? 0) + 1) + 1);
        }
        return n + Math.min(129, b.symbol.length + 1 + (b.address.length + 1) + 1);
      }
    }
  }

  isDidVersion(): boolean {
    return this.version === DID_ATTACH_VERSION;
  }
}
