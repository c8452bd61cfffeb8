import { loadConfigOrExit, runUntilSignal } from '@fleet/config';
import { createLogger } from '@fleet/logger';
import { type LoadedScenario, loadScenarios, ScenarioLoadError } from '@fleet/scenario';
import { closingTracing, startTracing } from '@fleet/telemetry';
import { scenariosPath, type WorkerSettings, workerSchema } from './config.js';
import { startWorker } from './worker.js';

const config = loadConfigOrExit(workerSchema);
const settings: WorkerSettings = config.getProperties();
const logger = createLogger({ name: 'worker', level: config.get('logLevel') });
// OpenTelemetry from the standard OTEL_* variables only; off (no-op) when they are unset.
const tracing = startTracing('fleet-worker');
logger.info({ tracing: tracing.reason }, tracing.enabled ? 'tracing on' : 'tracing off');

// Scenarios are the operator's code: one that does not load is a deployment mistake, named at once.
let scenarios: LoadedScenario[] = [];
const dir = scenariosPath(settings.scenariosDir);
if (dir) {
  try {
    scenarios = await loadScenarios(dir);
  } catch (error) {
    if (!(error instanceof ScenarioLoadError)) throw error;
    process.stderr.write(`Fleet worker: ${error.code}: ${error.message} (SCENARIOS_DIR=${dir})\n`);
    process.exit(2);
  }
}

// Shutdown drains the item in hand for SHUTDOWN_GRACE_MS, then needs Redis to release leases:
// the margin keeps a worker whose Redis is gone from hanging forever.
await runUntilSignal(
  async () => closingTracing(await startWorker(settings, logger, { scenarios }), tracing),
  {
    name: 'worker',
    logger,
    graceMs: config.get('shutdownGraceMs') + 15_000,
    parentPid: config.get('parentPid'),
  },
);
