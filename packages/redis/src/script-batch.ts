import type { FleetRedis } from './connection.js';

type Arg = string | number;

interface Call<R> {
  keys: string[];
  args: Arg[];
  resolve: (reply: R) => void;
  reject: (err: Error) => void;
}

/** Captured at load: a test's fake timers must not hold a Redis call back. */
const defer = process.nextTick;

/** The most calls one batched script runs (a long script holds Redis up for everyone else). */
const MAX_BATCH = 64;

/**
 * Calls of one Fleet script made in the same turn of the event loop go to Redis as one EVALSHA of
 * its batched form (`<command>Many`, built by the loader from the same Lua, `scripts.ts`): each call
 * runs exactly as it would alone, one after another in the order made, and its error is its own.
 * One round trip, one command to encode and one reply to decode for a turn's takes, claims or
 * records of many items instead of one each: the worker's CPU per item, which bounds a worker's
 * items/s (issue 17 section 2; DESIGN.md section 4, "The per-item Redis path"). A lone call goes
 * as the plain script. Off on a Cluster, where one script cannot span the batches' slots.
 */
export class ScriptBatcher<R> {
  private queue: Call<R>[] = [];

  constructor(
    private readonly redis: FleetRedis,
    /** The script's command, e.g. `fleetRecordPublish`; its batched form is `<command>Many`. */
    private readonly command: string,
    private readonly numberOfKeys: number,
  ) {}

  call(keys: string[], args: Arg[]): Promise<R> {
    if (keys.length !== this.numberOfKeys) {
      return Promise.reject(new Error(`${this.command} takes ${this.numberOfKeys} keys, got ${keys.length}`));
    }
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ keys, args, resolve, reject });
      if (this.queue.length === 1) defer(() => this.flush());
      else if (this.queue.length >= MAX_BATCH) this.flush();
    });
  }

  private flush(): void {
    const calls = this.queue;
    if (calls.length === 0) return;
    this.queue = [];
    const redis = this.redis as unknown as Record<string, (...a: Arg[]) => Promise<unknown>>;
    if (calls.length === 1) {
      const [only] = calls as [Call<R>];
      (redis[this.command]!(...only.keys, ...only.args) as Promise<R>).then(only.resolve, only.reject);
      return;
    }
    const keys: string[] = [];
    const counts: number[] = [];
    const args: Arg[] = [];
    for (const c of calls) {
      keys.push(...c.keys);
      counts.push(c.args.length);
      args.push(...c.args);
    }
    redis[`${this.command}Many`]!(keys.length, ...keys, calls.length, ...counts, ...args).then(
      (replies) => {
        const list = replies as [number, unknown][];
        calls.forEach((c, i) => {
          const [ok, value] = list[i] ?? [0, 'no reply for this call in the batch'];
          if (ok === 1) c.resolve(value as R);
          else c.reject(new Error(String(value)));
        });
      },
      (err: Error) => {
        for (const c of calls) c.reject(err);
      },
    );
  }
}
