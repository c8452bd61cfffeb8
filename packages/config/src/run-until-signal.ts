import type { LoggerPort } from '@fleet/core';

/** What `runUntilSignal` needs of an app: a way to stop it that resolves once it has let go. */
export interface Closable {
  close(): Promise<void>;
}

export interface RunUntilSignalOptions {
  /** The app's name in log lines ("worker could not start"). */
  name: string;
  logger: LoggerPort;
  /**
   * How long `close()` may take after the first signal before the process exits 1 anyway (the
   * worker's is its SHUTDOWN_GRACE_MS drain plus a margin for releasing leases in Redis).
   */
  graceMs: number;
  /** Where it ends: `process.exit` by default (a test passes its own). */
  exit?: (code: number) => void;
  /** Where the signals come from: `process` by default (a test passes an EventEmitter). */
  signals?: { on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown };
  /**
   * FLEET_PARENT_PID (`fleet up` sets it): when this process is gone, stop as on SIGTERM. `fleet
   * up` stops its apps itself on Ctrl-C; this covers it being killed outright (SIGKILL, a script's
   * kill of its process group that missed it), which left orphaned apps and browsers running.
   */
  parentPid?: number;
  /** How often the parent is looked for (default 1 s). */
  parentCheckMs?: number;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * The one way every Fleet app's `main.ts` starts and stops. Starts the app; if `start` throws, logs
 * `<name> could not start` (error) and exits 1. The first SIGTERM or SIGINT closes the app once
 * (a signal that comes while it starts closes it as soon as it has started): exit 0 when
 * `close()` resolves, 1 when it rejects or takes longer than `graceMs`. A second signal exits 1 at
 * once (an operator pressing Ctrl-C twice means "now").
 */
export async function runUntilSignal<T extends Closable>(
  start: () => Promise<T>,
  options: RunUntilSignalOptions,
): Promise<T | undefined> {
  const { name, logger, graceMs } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const target = options.signals ?? process;
  let app: T | undefined;
  let signals = 0;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    if (!app || stopping) return;
    stopping = true;
    app.close().then(
      () => {
        clearTimeout(timer);
        logger.info({}, `${name} stopped`);
        exit(0);
      },
      (err) => {
        clearTimeout(timer);
        logger.error({ err }, `${name}: shutdown failed`);
        exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      logger.error({ signal }, `${name}: second signal, exiting now`);
      exit(1);
      return;
    }
    logger.info({ signal, graceMs }, `${name} stopping`);
    // The grace counts from the signal, a start still under way included.
    timer = setTimeout(() => {
      logger.error({ ms: graceMs }, `${name}: shutdown did not finish in time, exiting`);
      exit(1);
    }, graceMs);
    timer.unref();
    stop(); // while still starting: once it has started (below)
  };
  // Listened to before the app starts: an app may answer /ready before `start` resolves (the
  // notifier serves while its webhook deliveries connect), and a SIGTERM then, with no listener,
  // killed the process by the signal instead of closing it (exit code null; seen in CI).
  for (const signal of SIGNALS) target.on(signal, onSignal);
  try {
    app = await start();
  } catch (err) {
    logger.error({ err }, `${name} could not start`);
    exit(1);
    return undefined;
  }
  if (signals > 0) stop();
  else if (options.parentPid)
    watchParent(options.parentPid, options.parentCheckMs ?? 1000, () => {
      if (signals > 0) return;
      logger.warn({ parentPid: options.parentPid }, `${name}: the process that started it is gone`);
      onSignal('SIGTERM');
    });
  return app;
}

/** Calls `gone` once when `pid` no longer runs (checked every `everyMs`; the timer never holds the process). */
function watchParent(pid: number, everyMs: number, gone: () => void): void {
  // Our direct parent's death shows at once as a new ppid (we are re-parented), even while it
  // lingers as a zombie that kill(pid, 0) would still find.
  const direct = process.ppid === pid;
  const timer = setInterval(() => {
    if ((!direct || process.ppid === pid) && alive(pid)) return;
    clearInterval(timer);
    gone();
  }, everyMs);
  timer.unref();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user. ESRCH: gone.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
