import { checkCount, checkU32, PROTOCOL_LEVEL, writeHash, type MessageCodec } from './protocol.js';

/**
 * Inventory type ids (mvs-wire §3.5, inventory_vector.cpp). The raw number is
 * kept as received: the reference maps 3 (filtered block) and every unknown
 * id to an internal "none" and would re-serialize it as 0.
 */
export const INVENTORY_TYPE = {
  ERROR: 0,
  TRANSACTION: 1,
  BLOCK: 2,
  FILTERED_BLOCK: 3,
  COMPACT_BLOCK: 4,
} as const;

export type ReferenceInventoryKind = 'error' | 'transaction' | 'block' | 'compact_block' | 'none';

/** What the reference makes of a raw inventory type (`inventory_vector::to_type`). */
export function referenceInventoryKind(type: number): ReferenceInventoryKind {
  switch (type) {
    case INVENTORY_TYPE.ERROR:
      return 'error';
    case INVENTORY_TYPE.TRANSACTION:
      return 'transaction';
    case INVENTORY_TYPE.BLOCK:
      return 'block';
    case INVENTORY_TYPE.COMPACT_BLOCK:
      return 'compact_block';
    default:
      return 'none';
  }
}

export interface InventoryVector {
  /** Raw u32 type id. */
  type: number;
  /** Internal byte order. */
  hash: Buffer;
}

export const INVENTORY_VECTOR_SIZE = 36;

export interface InvMessage {
  command: 'inv';
  inventory: InventoryVector[];
}
export interface GetDataMessage {
  command: 'getdata';
  inventory: InventoryVector[];
}
export interface NotFoundMessage {
  command: 'notfound';
  inventory: InventoryVector[];
}

type InventoryMessage = InvMessage | GetDataMessage | NotFoundMessage;

function inventoryCodec<M extends InventoryMessage>(command: M['command'], minPeerVersion: number): MessageCodec<M> {
  return {
    command,
    minPeerVersion,
    decode(r) {
      // Bounded by the payload: ≈ 50,000 entries at the 1,800,003-byte cap.
      const count = r.count(INVENTORY_VECTOR_SIZE, 'inventory');
      const inventory: InventoryVector[] = new Array(count);
      for (let i = 0; i < count; i++) inventory[i] = { type: r.u32le(), hash: r.hash() };
      return { command, inventory } as M;
    },
    encode(w, m) {
      w.varint(checkCount(m.inventory.length, 'inventory count'));
      for (const v of m.inventory) {
        w.u32le(checkU32(v.type, 'inventory type'));
        writeHash(w, v.hash, 'inventory hash');
      }
    },
  };
}

export const invCodec: MessageCodec<InvMessage> = inventoryCodec('inv', 0);
export const getDataCodec: MessageCodec<GetDataMessage> = inventoryCodec('getdata', 0);
/** not_found.cpp: BIP37 level. */
export const notFoundCodec: MessageCodec<NotFoundMessage> = inventoryCodec('notfound', PROTOCOL_LEVEL.BIP37);
