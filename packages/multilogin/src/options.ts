import type { LoggerPort } from '@fleet/core';

export interface RetryOptions {
  /** Total attempts of a call that is safe to repeat, the first included (1 = no retry). */
  attempts: number;
  /** First backoff ceiling; each retry doubles it (full jitter: the wait is random in [0, ceiling]). */
  baseDelayMs: number;
  /**
   * Largest wait between two attempts. A `Retry-After` longer than this is not waited for inside the
   * call: the RetryableError goes to the caller with `retryAfterMs`, so a worker can delay its job
   * instead of holding a slot (Multilogin's rate windows are ~60 s).
   */
  maxDelayMs: number;
  /** Pause between start attempts while the launcher downloads a browser core (CORE_DOWNLOADING_*). */
  coreDownloadPauseMs: number;
  /** Give up waiting for a core download after this long (first starts can take minutes). */
  coreDownloadMaxMs: number;
}

export interface TimeoutOptions {
  /** Any call but start. */
  requestMs: number;
  /** A profile start: the launcher may download a core and boot a browser first. */
  startMs: number;
  /**
   * Making the TCP connection (any call). A host cut off from the network answers nothing: without
   * this a call would wait its whole request timeout before the host counts as unreachable.
   */
  connectMs: number;
}

export interface MultiloginClientOptions {
  /** Cloud API base URL (sign-in, profiles, folders). */
  apiUrl?: string;
  /** Launcher base URL (start, stop, status, version). */
  launcherUrl?: string;
  email?: string;
  /** Plain password; only its MD5 hex digest is sent, as Multilogin expects. */
  password?: string;
  /** A long-lived workspace automation token: an alternative to email/password. */
  automationToken?: string;
  /** Sent with token refreshes; read from the token's claims when not given. */
  workspaceId?: string;
  /** Verify TLS certificates (the launcher's is self-signed on some machines). */
  tlsVerify?: boolean;
  timeouts?: Partial<TimeoutOptions>;
  retry?: Partial<RetryOptions>;
  /** Where the client logs (core's LoggerPort: a pino logger fits); silent when omitted. */
  logger?: LoggerPort;
}

export interface ResolvedOptions {
  apiUrl: string;
  launcherUrl: string;
  email: string | undefined;
  password: string | undefined;
  automationToken: string | undefined;
  workspaceId: string | undefined;
  tlsVerify: boolean;
  timeouts: TimeoutOptions;
  retry: RetryOptions;
  logger: LoggerPort;
}

export const DEFAULT_API_URL = 'https://api.multilogin.com';
export const DEFAULT_LAUNCHER_URL = 'https://launcher.mlx.yt:45001';

export const DEFAULT_TIMEOUTS: TimeoutOptions = { requestMs: 30_000, startMs: 180_000, connectMs: 5_000 };

export const DEFAULT_RETRY: RetryOptions = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  coreDownloadPauseMs: 10_000,
  coreDownloadMaxMs: 300_000,
};

const noop = (): void => {};
export const silentLogger: LoggerPort = { debug: noop, info: noop, warn: noop, error: noop };

export function resolveOptions(options: MultiloginClientOptions): ResolvedOptions {
  return {
    apiUrl: trimSlash(options.apiUrl ?? DEFAULT_API_URL),
    launcherUrl: trimSlash(options.launcherUrl ?? DEFAULT_LAUNCHER_URL),
    email: options.email || undefined,
    password: options.password || undefined,
    automationToken: options.automationToken || undefined,
    workspaceId: options.workspaceId || undefined,
    tlsVerify: options.tlsVerify ?? true,
    timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
    retry: { ...DEFAULT_RETRY, ...options.retry },
    logger: options.logger ?? silentLogger,
  };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
