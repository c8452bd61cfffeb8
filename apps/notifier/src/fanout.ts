import type { FleetEvent } from '@fleet/contracts';
import type { Server, Socket } from 'socket.io';
import { compareStreamIds, ROOMS } from './protocol.js';

/**
 * One socket's replay of one batch. Until the socket joins the batch's room it sits in the
 * batch's `replaying` room, which live broadcasts skip; the batch's live events are kept in
 * `buffer` instead and sent by the fanout, without those the replay already sent.
 */
export interface ReplayWatch {
  readonly socket: Socket;
  readonly batchId: string;
  /** The client's lastEventId. */
  readonly afterId: string;
  readonly buffer: FleetEvent[];
  /** Set when the replay is done: the socket has every event of the batch up to this id. */
  sentUpTo: string | null;
  cancelled: boolean;
  /** The socket is in the batch's room: the watch is over. */
  live: boolean;
}

/**
 * Hands the relay's events to Socket.IO rooms: `batch:<id>` for subscribers of a batch and `all`
 * for admins that watch everything (profile events, which have no batch, go to `all` only).
 *
 * Joining a replay to the live stream without gap or duplicate rests on three facts: the relay
 * calls `deliver` synchronously with every event after its position, in stream order; the
 * replay's watch is registered (synchronously) before its first XRANGE; and the socket joins the
 * batch's room only once the relay's position has reached what the replay sent. Until then the
 * relay's events of the batch go through the watch: those the replay already sent are dropped,
 * the rest are sent in order. (The relay may lag behind the stream's end, e.g. under a burst, so
 * the replay can be ahead of it.)
 */
export class Fanout {
  private readonly replays = new Map<string, Set<ReplayWatch>>();
  /** Watches whose replay is done, waiting for the relay to reach `sentUpTo`. */
  private readonly catchingUp = new Set<ReplayWatch>();
  private held = 0;
  private dropped = 0;

  /** `position`: the id of the last entry the relay delivered. */
  constructor(
    private readonly io: Server,
    private readonly position: () => string,
  ) {}

  /** Is any socket here listening to the batch's events (`''`: events of no batch)? */
  wants(batchId: string): boolean {
    const rooms = this.io.sockets.adapter.rooms;
    if (rooms.has(ROOMS.all)) return true;
    return batchId !== '' && (rooms.has(ROOMS.batch(batchId)) || this.replays.has(batchId));
  }

  deliver(events: FleetEvent[]): void {
    for (const event of events) {
      const batchId = event.batchId;
      if (batchId === undefined || batchId === '') {
        this.io.to(ROOMS.all).emit(event.type, event);
        continue;
      }
      const watching = this.replays.get(batchId);
      // A socket in both rooms gets the event once (Socket.IO sends a broadcast once per socket).
      let target = this.io.to([ROOMS.batch(batchId), ROOMS.all]);
      if (watching) {
        target = target.except(ROOMS.replaying(batchId));
        for (const watch of watching) watch.buffer.push(event);
        this.held += watching.size;
      }
      target.emit(event.type, event);
    }
    for (const watch of this.catchingUp) this.drain(watch);
  }

  /** Start keeping the batch's live events for this socket (which stops getting them by room). */
  beginReplay(socket: Socket, batchId: string, afterId: string): ReplayWatch {
    const watch: ReplayWatch = {
      socket,
      batchId,
      afterId,
      buffer: [],
      sentUpTo: null,
      cancelled: false,
      live: false,
    };
    let set = this.replays.get(batchId);
    if (!set) {
      set = new Set();
      this.replays.set(batchId, set);
    }
    set.add(watch);
    socket.leave(ROOMS.batch(batchId));
    socket.join(ROOMS.replaying(batchId));
    return watch;
  }

  /**
   * The replay has sent the batch's events up to `lastSentId` (null: none): send the kept events
   * after it, and move the socket to the batch's room as soon as the relay has caught up.
   */
  finishReplay(watch: ReplayWatch, lastSentId: string | null): void {
    if (watch.cancelled) return;
    watch.sentUpTo =
      lastSentId !== null && compareStreamIds(lastSentId, watch.afterId) > 0 ? lastSentId : watch.afterId;
    this.drain(watch);
  }

  /** Stop a replay (the socket unsubscribed, subscribed again, failed or left). */
  cancel(watch: ReplayWatch): void {
    if (watch.cancelled || watch.live) return;
    watch.cancelled = true;
    this.forget(watch);
    watch.buffer.length = 0;
    watch.socket.leave(ROOMS.replaying(watch.batchId));
  }

  get stats(): { replaying: number; heldForReplay: number; droppedAsReplayed: number } {
    let replaying = 0;
    for (const set of this.replays.values()) replaying += set.size;
    return { replaying, heldForReplay: this.held, droppedAsReplayed: this.dropped };
  }

  /** Send the kept events the socket lacks; join the room once the relay has passed `sentUpTo`. */
  private drain(watch: ReplayWatch): void {
    for (const event of watch.buffer) {
      if (compareStreamIds(event.id!, watch.sentUpTo!) > 0) {
        watch.socket.emit(event.type, event);
        watch.sentUpTo = event.id!;
      } else {
        this.dropped++;
      }
    }
    watch.buffer.length = 0;
    if (compareStreamIds(this.position(), watch.sentUpTo!) < 0) {
      this.catchingUp.add(watch);
      return;
    }
    this.forget(watch);
    watch.live = true;
    watch.socket.leave(ROOMS.replaying(watch.batchId));
    if (watch.socket.connected) watch.socket.join(ROOMS.batch(watch.batchId));
  }

  private forget(watch: ReplayWatch): void {
    this.catchingUp.delete(watch);
    const set = this.replays.get(watch.batchId);
    if (!set) return;
    set.delete(watch);
    if (set.size === 0) this.replays.delete(watch.batchId);
  }
}
