import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  durationMs,
  eventStreamSchema,
  loadConfig,
  percent,
  port,
  type RedisSettings,
  type ReplicaWaitSettings,
  secretKeySchema,
} from '@fleet/config';
import { type MultiloginSettings, multiloginSchema } from '@fleet/multilogin';
import { type TargetSettings, targetSchema } from '@fleet/targets';

/** A host name as stall records keep it: letters, digits, '.', '_' and '-', up to 253. */
function hostName(value: unknown): void {
  if (typeof value !== 'string' || !/^[A-Za-z0-9._-]{1,253}$/.test(value)) {
    throw new Error("must be 1-253 letters, digits, '.', '_' or '-'");
  }
}

/** The repository's root (apps/worker/src → ../../..): where a relative SCENARIOS_DIR starts. */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** SCENARIOS_DIR as a path: relative ones from the repository root; empty: none. */
export function scenariosPath(setting: string): string | null {
  if (setting.trim() === '') return null;
  return isAbsolute(setting) ? setting : resolve(REPO_ROOT, setting);
}

/** The worker's own settings (the common ones — REDIS_URL, FLEET_PREFIX, LOG_LEVEL — come with @fleet/config). */
export const workerSchema = {
  workerPort: port({ env: 'WORKER_PORT', default: 3002, doc: 'HTTP port for /health, /ready and /metrics.' }),
  workerConcurrency: {
    doc: 'Items this process runs at once.',
    format: 'nat',
    default: 2,
    env: 'WORKER_CONCURRENCY',
  },
  workerMaxCpuPercent: percent({
    env: 'WORKER_MAX_CPU_PERCENT',
    default: 0,
    doc: 'Host CPU busy (all cores, /proc/stat over each WORKER_PRESSURE_CHECK_MS) above which this worker halves its slots at each check, but never below one slot per core (the cores it may use, a cgroup v2 CPU quota counting: from there on browsers keep every core busy at the knee), regrowing one per check once under while it fills them; 0 = off (the default: on the 2-core capacity bench a 90% gate at c=8 held 2-3 slots and ran 0.93x the knee, an earlier run 0.87x; turn it on where a worker is set past its cores or the host runs other work).',
  }),
  workerMaxMemoryPercent: percent({
    env: 'WORKER_MAX_MEMORY_PERCENT',
    default: 85,
    doc: 'Host memory in use (MemTotal − MemAvailable, or the cgroup v2 limit when tighter) above which this worker halves its slots at each check, down to none (no new item at all), regrowing one per check once under while it fills them; 0 = off. 85 keeps room for the browsers in flight to grow (a page can take hundreds of MiB) before the OOM killer picks one.',
  }),
  workerPressureCheckMs: durationMs({
    env: 'WORKER_PRESSURE_CHECK_MS',
    default: 1000,
    doc: 'How often the worker reads host CPU and memory for WORKER_MAX_CPU_PERCENT and WORKER_MAX_MEMORY_PERCENT (the CPU window).',
  }),
  workerId: {
    doc: 'Name of this worker in leases and logs.',
    format: String,
    default: `${hostname()}-${process.pid}`,
    env: 'WORKER_ID',
  },
  workerHost: {
    doc: 'The machine this worker runs on (give containers sharing one machine its name): ITEM_MAX_STALLS counts stalls per host.',
    format: hostName,
    default: hostname(),
    env: 'WORKER_HOST',
  },
  itemMaxStalls: {
    doc: "Different hosts an item's attempts may vanish on (worker killed, job lock lost) before it fails ITEM_STALLED; 0 = no such limit (BullMQ's own: max(10, 3 × this) stalls).",
    format: 'nat',
    default: 3,
    env: 'ITEM_MAX_STALLS',
  },
  warmIdleMs: durationMs({
    env: 'WARM_IDLE_MS',
    default: 30_000,
    doc: 'How long an idle started profile is kept for the next item; 0 = off.',
  }),
  artifactsDir: {
    doc: 'Where screenshots and failure evidence are stored (the directory the API serves).',
    format: String,
    default: './data/artifacts',
    env: 'ARTIFACTS_DIR',
  },
  evidencePerError: {
    doc: "Failures of one kind (code, step path, message shape) per batch that keep full evidence (screenshot, HTML, console); the rest keep the URL and are counted in the batch's errors.",
    format: 'nat',
    default: 3,
    env: 'EVIDENCE_PER_ERROR',
  },
  leaseTtlMs: durationMs({
    env: 'LEASE_TTL_MS',
    default: 30_000,
    doc: 'Profile lease length (renewed every third).',
  }),
  profileCooldownMs: durationMs({
    env: 'PROFILE_COOLDOWN_MS',
    default: 0,
    doc: 'Rest of a profile after each use.',
  }),
  profileFailureThreshold: {
    doc: 'Consecutive failures that quarantine a profile.',
    format: 'nat',
    default: 3,
    env: 'PROFILE_FAILURE_THRESHOLD',
  },
  profileQuarantineMs: durationMs({
    env: 'PROFILE_QUARANTINE_MS',
    default: 10 * 60_000,
    doc: 'How long a failing profile stays out.',
  }),
  jobLockMs: durationMs({
    env: 'JOB_LOCK_MS',
    default: 30_000,
    doc: "BullMQ job lock: a crashed worker's item is retried after it.",
  }),
  shutdownGraceMs: durationMs({
    env: 'SHUTDOWN_GRACE_MS',
    default: 20_000,
    doc: 'On SIGTERM, running items get this long to finish before they are aborted.',
  }),
  resultRetentionSec: {
    doc: "How long a finished batch's results stay in Redis, seconds.",
    format: 'nat',
    default: 7 * 24 * 3600,
    env: 'RESULT_RETENTION_SEC',
  },
  reclaimEveryMs: durationMs({
    env: 'RECLAIM_EVERY_MS',
    default: 5000,
    doc: 'How often expired leases are taken back.',
  }),
  reclaimRestMs: durationMs({
    env: 'RECLAIM_REST_MS',
    default: 5000,
    doc: "A reclaimed profile rests this long (its dead holder's browser is stopped meanwhile).",
  }),
  unreachableRestMs: durationMs({
    env: 'UNREACHABLE_REST_MS',
    default: 15_000,
    doc: 'A profile whose launcher (its host) cannot be reached rests this long; the item waits, no attempt spent.',
  }),
  headless: { doc: 'Start browsers headless.', format: Boolean, default: true, env: 'HEADLESS' },
  fairDispatch: {
    doc: 'Take part in fair share (README "Sharing a fleet"): hand items waiting under their API key to the queue as workers take jobs (one worker leads per queue; the others stand by).',
    format: Boolean,
    default: true,
    env: 'FAIR_DISPATCH',
  },
  scenariosDir: {
    doc: "Code scenarios this worker loads at start and advertises (each a folder with index.ts, or a .ts file; a relative path starts at the repository's root); a module that does not load stops the worker (exit 2); empty = none.",
    format: String,
    default: 'scenarios',
    env: 'SCENARIOS_DIR',
  },
  scenarioHeartbeatMs: durationMs({
    env: 'SCENARIO_HEARTBEAT_MS',
    default: 5000,
    doc: 'How often the worker renews its scenarios in Redis; it stops counting for them 3 × this after its last heartbeat.',
  }),
  // BLOCK_PRIVATE_TARGETS / ALLOWED_TARGETS: every goto and where it ended are checked.
  ...targetSchema,
  ...multiloginSchema,
  ...secretKeySchema,
  ...eventStreamSchema,
};

export interface WorkerSettings
  extends RedisSettings,
    ReplicaWaitSettings,
    MultiloginSettings,
    TargetSettings {
  secretKey: string;
  prefix: string;
  workerPort: number;
  workerConcurrency: number;
  workerMaxCpuPercent: number;
  workerMaxMemoryPercent: number;
  workerPressureCheckMs: number;
  workerId: string;
  workerHost: string;
  itemMaxStalls: number;
  warmIdleMs: number;
  artifactsDir: string;
  evidencePerError: number;
  leaseTtlMs: number;
  profileCooldownMs: number;
  profileFailureThreshold: number;
  profileQuarantineMs: number;
  jobLockMs: number;
  shutdownGraceMs: number;
  resultRetentionSec: number;
  eventsMaxLen: number;
  reclaimEveryMs: number;
  reclaimRestMs: number;
  unreachableRestMs: number;
  headless: boolean;
  fairDispatch: boolean;
  scenariosDir: string;
  scenarioHeartbeatMs: number;
}

/**
 * The schema's defaults, no environment read, with `overrides`: full settings for a worker started
 * in-process (tests, benches), so a new setting needs no edit there.
 */
export function workerSettings(overrides: Partial<WorkerSettings> = {}): WorkerSettings {
  // In-process workers load no scenarios unless a test asks (the demo ones would add a queue).
  return { ...loadConfig(workerSchema, { env: {} }).getProperties(), scenariosDir: '', ...overrides };
}
