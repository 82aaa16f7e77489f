import type { Block } from '../primitives/block.js';
import type { BlockHeader } from '../primitives/header.js';
import type { Transaction } from '../primitives/transaction.js';
import { logger } from '../util/logger.js';

/**
 * The node's one typed event bus and its catalogue (ARCHITECTURE.md "The event
 * bus"). Two kinds of subscriber:
 *  - state-coupled consumers (`onAwait`): mempool cleanup, wallet, indexers
 *    outside the block transaction. They see every event in order after the
 *    commit and the emitter awaits them.
 *  - notifications (`on`): websocket push, logs, metrics. Fire-and-forget;
 *    an exception there is logged and never reaches consensus code.
 */
export interface BlockEvent {
  height: number;
  hash: Buffer;
  block: Block;
}

export interface BusEvents {
  'chain:block:connected': BlockEvent;
  'chain:block:disconnected': BlockEvent;
  /** One per reorganization, after its disconnects and connects. */
  'chain:reorganized': { forkHeight: number; forkHash: Buffer; oldTip: { height: number; hash: Buffer }; newTip: { height: number; hash: Buffer }; disconnected: number; connected: number };
  'chain:tip': { height: number; hash: Buffer; header: BlockHeader };
  /** The chain store failed (I/O, full disk, damaged records): the node must stop. */
  'chain:fatal': { error: Error };
  'chain:header': { height: number; hash: Buffer; header: BlockHeader };
  'mempool:tx:added': { tx: Transaction; txid: Buffer; fee: bigint; size: number };
  'mempool:tx:removed': { tx: Transaction; txid: Buffer; reason: 'mined' | 'conflict' | 'expired' | 'evicted' | 'reorg-invalid' | 'manual' };
  'p2p:peer:connected': { id: number; address: string; inbound: boolean; userAgent: string; startHeight: number; version: number };
  'p2p:peer:disconnected': { id: number; address: string; reason: string };
  'p2p:peer:banned': { address: string; reason: string; until: number };
  'sync:progress': { height: number; bestHeaderHeight: number; blocksPerSecond: number; etaSeconds: number | null; peers: number };
  'sync:synced': { height: number; hash: Buffer };
  'miner:block:found': { height: number; hash: Buffer };
  'node:shutdown': { reason: string };
}

export type BusEventName = keyof BusEvents;
type Handler<T> = (payload: T) => void;
type AwaitHandler<T> = (payload: T) => Promise<void> | void;

export class EventBus<E extends object = BusEvents> {
  private readonly notify = new Map<keyof E, Set<Handler<any>>>();
  private readonly awaited = new Map<keyof E, AwaitHandler<any>[]>();
  private readonly log = logger('bus');

  /** Fire-and-forget subscriber. Returns an unsubscribe function. */
  on<K extends keyof E>(event: K, handler: Handler<E[K]>): () => void {
    let set = this.notify.get(event);
    if (!set) this.notify.set(event, (set = new Set()));
    set.add(handler);
    return () => set!.delete(handler);
  }

  /** State-coupled subscriber: `emit` awaits it, in registration order. */
  onAwait<K extends keyof E>(event: K, handler: AwaitHandler<E[K]>): () => void {
    let list = this.awaited.get(event);
    if (!list) this.awaited.set(event, (list = []));
    list.push(handler);
    return () => {
      const i = list!.indexOf(handler);
      if (i >= 0) list!.splice(i, 1);
    };
  }

  /**
   * Run state-coupled handlers in order (awaiting each; their errors propagate
   * to the emitter), then notify the fire-and-forget ones on a later tick.
   */
  async emit<K extends keyof E>(event: K, payload: E[K]): Promise<void> {
    const list = this.awaited.get(event);
    if (list) for (const h of [...list]) await h(payload);
    const set = this.notify.get(event);
    if (set && set.size > 0) {
      const handlers = [...set];
      queueMicrotask(() => {
        for (const h of handlers) {
          try {
            h(payload);
          } catch (err) {
            this.log.warn({ err, event: String(event) }, 'notification handler failed');
          }
        }
      });
    }
  }

  listenerCount(event: keyof E): number {
    return (this.notify.get(event)?.size ?? 0) + (this.awaited.get(event)?.length ?? 0);
  }
}
