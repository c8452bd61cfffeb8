import type { LoggerPort } from '@fleet/core';
import type { SweepOptions } from '@fleet/webdriver/artifacts';

/**
 * Artifacts younger than this are never swept: a batch's uploads are stored a moment before its
 * record is written, and a worker may still be writing an item's evidence.
 */
export const SWEEP_MIN_AGE_MS = 10 * 60_000;

export interface ArtifactSweeperDeps {
  store: { sweep(options: SweepOptions): Promise<number> };
  /** Whose records say whether a batch still exists (expired or deleted: null). */
  batches: { get(batchId: string): Promise<unknown | null> };
  /** How often; 0 = never (ARTIFACT_SWEEP_EVERY_MS). */
  everyMs: number;
  minAgeMs?: number;
  logger?: LoggerPort;
}

export interface ArtifactSweeper {
  /** One pass now (also what the interval runs); how many artifacts went. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Retention of artifacts (DESIGN.md section 7): a batch's Redis keys expire RESULT_RETENTION_SEC
 * after it finished (or was cancelled); every `everyMs` the artifacts whose batch record is gone
 * are removed from disk. A Redis error skips the pass (nothing is removed on a doubt). Passes
 * never overlap; several API processes sweeping the same directory are harmless.
 */
export function startArtifactSweeper(deps: ArtifactSweeperDeps): ArtifactSweeper {
  let running: Promise<number> | null = null;
  const sweep = () => {
    running ??= deps.store
      .sweep({
        batchExists: async (batchId) => (await deps.batches.get(batchId)) !== null,
        minAgeMs: deps.minAgeMs ?? SWEEP_MIN_AGE_MS,
      })
      .then((removed) => {
        if (removed > 0) deps.logger?.info({ removed }, 'removed the artifacts of expired batches');
        return removed;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const timer =
    deps.everyMs > 0
      ? setInterval(() => {
          sweep().catch((err: Error) =>
            deps.logger?.warn({ err: { message: err.message } }, 'artifact sweep skipped'),
          );
        }, deps.everyMs)
      : undefined;
  timer?.unref();
  return {
    sweep,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
