/**
 * The soak's no-op worker process (soak.bench.ts spawns it; not a deployable): src/main.ts with the
 * pipeline bench's no-op parts. It reads the worker's settings from the environment exactly as
 * main.ts does and runs the real worker (`startWorker`: BullMQ, leases, claims, results, events,
 * reclaim, /metrics on WORKER_PORT) with core's InstantDriver (a run answers at once) and
 * MemoryProvider (a start answers at once), so 100,000 items cost no browser but every Redis
 * write of a real item. Ends on SIGTERM like the worker (`runUntilSignal`).
 */
import { loadConfigOrExit, runUntilSignal } from '@fleet/config';
import { InstantDriver, MemoryProvider } from '@fleet/core/testing';
import { createLogger } from '@fleet/logger';
import { type WorkerSettings, workerSchema } from '../src/config.js';
import { startWorker } from '../src/worker.js';

const config = loadConfigOrExit(workerSchema);
const settings: WorkerSettings = { ...config.getProperties(), scenariosDir: '' };
const logger = createLogger({ name: 'soak-worker', level: config.get('logLevel') });

await runUntilSignal(
  () => startWorker(settings, logger, { driver: new InstantDriver(), provider: new MemoryProvider() }),
  { name: 'worker', logger, graceMs: config.get('shutdownGraceMs') + 15_000 },
);
