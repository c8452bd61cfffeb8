import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { TargetPolicy } from '@fleet/targets';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { type Logger, pino } from 'pino';
import { requireBearer, TokenService } from './auth-tokens.js';
import { BrowserPool } from './browser-pool.js';
import { registerCloudRoutes } from './cloud-routes.js';
import { installEnvelope } from './envelope.js';
import { registerLauncherRoutes } from './launcher-routes.js';
import { ProcessRecords } from './process-records.js';
import { ProfileRegistry } from './profile-registry.js';
import { traceRoutes } from './trace-routes.js';

export interface LauncherOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  dataDir: string;
  email: string;
  password: string;
  chromiumPath?: string;
  chromedriverPath?: string;
  maxBrowsers?: number;
  /** Lifetime of sign-in tokens; Multilogin's is 30 minutes. Automation tokens have their own. */
  tokenTtlMs?: number;
  /** How long a stop waits for Chromium to close gracefully before killing it. */
  stopTimeoutMs?: number;
  /** How long a start waits for Chromium and chromedriver to answer. */
  startTimeoutMs?: number;
  /**
   * Refuse browser requests to private targets (BLOCK_PRIVATE_TARGETS, on by default in
   * `main.ts`; off when left out here, as the tests' browsers visit fixture sites on loopback).
   */
  blockPrivateTargets?: boolean;
  /** ALLOWED_TARGETS: exceptions to `blockPrivateTargets` (host, host:port, address range). */
  allowedTargets?: readonly string[];
  logger?: Logger;
}

export interface RunningLauncher {
  url: string;
  port: number;
  /** Stops every running browser, then the HTTP server. */
  close(): Promise<void>;
  /**
   * Test-only: closes the HTTP server but leaves the browsers running, as a launcher killed with
   * SIGKILL would. The next launcher on the same dataDir must clean them up.
   */
  abandon(): Promise<void>;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  chromiumPath: '/usr/bin/chromium',
  chromedriverPath: '/usr/bin/chromedriver',
  maxBrowsers: 10,
  tokenTtlMs: 30 * 60_000,
  stopTimeoutMs: 10_000,
  startTimeoutMs: 30_000,
} as const;

export interface LauncherServer {
  app: FastifyInstance;
  pool: BrowserPool;
  registry: ProfileRegistry;
  setClosing(): void;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Routes that need no Bearer token (sign-in, refresh, version). */
    public?: boolean;
  }
}

/** Builds the app without listening (tests may `inject`); leftovers must be cleaned before. */
export function buildLauncherServer(options: LauncherOptions, records: ProcessRecords): LauncherServer {
  const logger = options.logger ?? pino({ level: 'silent' });
  const registry = new ProfileRegistry(options.dataDir);
  const tokens = new TokenService({
    dataDir: options.dataDir,
    email: options.email,
    password: options.password,
    tokenTtlMs: options.tokenTtlMs ?? DEFAULTS.tokenTtlMs,
  });
  const pool = new BrowserPool({
    chromiumPath: options.chromiumPath ?? DEFAULTS.chromiumPath,
    chromedriverPath: options.chromedriverPath ?? DEFAULTS.chromedriverPath,
    maxBrowsers: options.maxBrowsers ?? DEFAULTS.maxBrowsers,
    stopTimeoutMs: options.stopTimeoutMs ?? DEFAULTS.stopTimeoutMs,
    startTimeoutMs: options.startTimeoutMs ?? DEFAULTS.startTimeoutMs,
    logger: logger.child({ component: 'browser-pool' }),
    records,
    // WebDriver ports are answered on the launcher's own address (see BrowserPoolOptions).
    webdriverHost: options.host ?? DEFAULTS.host,
    ...(options.blockPrivateTargets
      ? { targetPolicy: new TargetPolicy({ allowed: options.allowedTargets, cacheMs: 10_000 }) }
      : {}),
  });
  // Fastify's own request log is off: it would add little, and we choose what gets logged.
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
  }) as unknown as FastifyInstance;
  installEnvelope(app);
  traceRoutes(app);
  app.addHook('onRequest', async (request) => {
    // Unknown routes (no routeOptions.url) fall through to the 404 envelope, not to a 401.
    if (request.routeOptions.url === undefined || request.routeOptions.config.public) return;
    requireBearer(tokens, request);
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL: nothing from a query string ends up in the log.
    request.log.debug(
      {
        method: request.method,
        route: request.routeOptions.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });
  let closing = false;
  registerCloudRoutes(app, { tokens, registry, pool });
  registerLauncherRoutes(app, { registry, pool, isClosing: () => closing });
  return {
    app,
    pool,
    registry,
    setClosing: () => {
      closing = true;
    },
  };
}

/**
 * Starts the launcher: kills browsers a previous launcher on this dataDir left running, then
 * serves the cloud API and the launcher API on one port.
 */
export async function startLauncher(options: LauncherOptions): Promise<RunningLauncher> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const logger = options.logger ?? pino({ level: 'silent' });
  const records = new ProcessRecords(dataDir);
  const leftovers = await records.cleanupLeftovers();
  if (leftovers.profiles.length > 0) {
    logger.warn(
      { profiles: leftovers.profiles, killed: leftovers.killed },
      'killed browsers left by a previous launcher',
    );
  }
  const server = buildLauncherServer({ ...options, dataDir, logger }, records);
  const host = options.host ?? DEFAULTS.host;
  await server.app.listen({ port: options.port ?? 0, host });
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const blockPrivateTargets = options.blockPrivateTargets ?? false;
  logger.info(
    {
      url,
      dataDir,
      blockPrivateTargets,
      allowedTargets: blockPrivateTargets ? (options.allowedTargets?.length ?? 0) : 0,
    },
    'launcher listening',
  );
  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    close: () => {
      closed ??= (async () => {
        server.setClosing();
        await server.pool.stopAll();
        await server.app.close();
        await server.registry.flush();
      })();
      return closed;
    },
    abandon: () => {
      closed ??= (async () => {
        server.setClosing();
        await server.pool.abandon();
        await server.app.close();
        await server.registry.flush();
      })();
      return closed;
    },
  };
}
