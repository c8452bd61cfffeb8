import { InstantDriver, MemoryProvider } from '@fleet/core/testing';
import { type WorkerSettings, workerSettings } from './config.js';

/** Starts no browser: the worker's pipeline runs on Redis alone. */
export const provider = new MemoryProvider();
/** Every item "succeeds" at once with an empty outcome. */
export const driver = new InstantDriver();

/** Full settings for an in-process worker on `redisUrl` that drives no real browser. */
export function settings(redisUrl: string, prefix: string): WorkerSettings {
  return workerSettings({
    redisUrl,
    prefix,
    workerPort: 0,
    workerConcurrency: 1,
    workerId: 'test-worker',
    warmIdleMs: 0,
    artifactsDir: '/tmp/unused',
    leaseTtlMs: 6000,
    profileQuarantineMs: 60_000,
    jobLockMs: 6000,
    shutdownGraceMs: 1000,
    resultRetentionSec: 3600,
    reclaimEveryMs: 60_000,
    reclaimRestMs: 500,
    multiloginApiUrl: 'http://127.0.0.1:9',
    multiloginLauncherUrl: 'http://127.0.0.1:9',
  });
}
