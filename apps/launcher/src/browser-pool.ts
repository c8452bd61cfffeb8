import { connect } from 'node:net';
import type { TargetPolicy } from '@fleet/targets';
import type { Logger } from 'pino';
import { BrowserProcess } from './browser-process.js';
import { ChromedriverProcess } from './chromedriver-process.js';
import { LauncherError } from './envelope.js';
import type { ProcessRecords } from './process-records.js';
import type { ProfileProxy, ProfileRecord } from './profile-registry.js';
import { ProxyRelay, relayUpstreamFor } from './proxy-relay.js';
import { WebDriverFront } from './webdriver-front.js';

export type AutomationType = 'selenium' | 'puppeteer' | 'playwright';
export type LauncherStatus = 'browser_running' | 'browser_starting' | 'stopped' | 'start_browser_error';

export interface BrowserPoolOptions {
  chromiumPath: string;
  chromedriverPath: string;
  maxBrowsers: number;
  stopTimeoutMs: number;
  startTimeoutMs: number;
  logger: Logger;
  records: ProcessRecords;
  /**
   * Address the WebDriver fronts listen on: the launcher's own listen address (LAUNCHER_HOST), so
   * a client that reaches the launcher at some host reaches the answered ports there too (what
   * packages/multilogin assumes). Default 127.0.0.1. chromedriver, the DevTools port and proxy
   * relays stay on loopback whatever this says.
   */
  webdriverHost?: string;
  /**
   * BLOCK_PRIVATE_TARGETS: every browser's requests go through a relay that refuses private
   * targets (except socks5 profiles: Chromium speaks socks to the proxy itself). None: no check.
   */
  targetPolicy?: TargetPolicy;
}

export interface StartResult {
  /** WebDriver front port (selenium) or DevTools port (puppeteer/playwright). */
  port: number;
  debugPort: number;
  coreVersion: string;
}

interface Run {
  state: 'starting' | 'running' | 'stopping';
  browser?: BrowserProcess;
  driver?: ChromedriverProcess;
  front?: WebDriverFront;
  relay?: ProxyRelay;
  ready?: Promise<unknown>;
  stopped?: Promise<void>;
}

/** Multilogin checks the proxy at start; so do we, with a plain TCP connect to it. */
function checkProxyReachable(proxy: ProfileProxy, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: proxy.host, port: proxy.port, timeout: timeoutMs });
    const fail = (why: string) => {
      socket.destroy();
      reject(
        new LauncherError(
          'GET_PROXY_CONNECTION_IP_ERROR',
          `proxy ${proxy.host}:${proxy.port} does not accept connections (${why}): fix or replace the profile's proxy`,
        ),
      );
    };
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => fail('timeout'));
    socket.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
  });
}

/**
 * The browsers this launcher runs, one per profile: Chromium on the profile's directory, plus
 * (selenium) a chromedriver and the WebDriver front bound to that browser, plus (authenticated
 * HTTP proxy, or BLOCK_PRIVATE_TARGETS) a proxy relay. Enforces LAUNCHER_MAX_BROWSERS and one
 * browser per profile.
 */
export class BrowserPool {
  private readonly runs = new Map<string, Run>();
  private readonly failedStarts = new Set<string>();

  constructor(private readonly options: BrowserPoolOptions) {}

  get size(): number {
    return this.runs.size;
  }

  status(profileId: string): LauncherStatus {
    const run = this.runs.get(profileId);
    if (run?.state === 'running') return 'browser_running';
    if (run?.state === 'starting') return 'browser_starting';
    return this.failedStarts.has(profileId) ? 'start_browser_error' : 'stopped';
  }

  async start(
    profile: ProfileRecord,
    userDataDir: string,
    options: { headless: boolean; automationType: AutomationType },
  ): Promise<StartResult> {
    if (this.runs.has(profile.id)) {
      throw new LauncherError(
        'PROFILE_ALREADY_RUNNING',
        `profile "${profile.id}" is already running: stop it first`,
      );
    }
    if (this.runs.size >= this.options.maxBrowsers) {
      throw new LauncherError(
        'MAX_BROWSERS_REACHED',
        `${this.options.maxBrowsers} browsers are running (LAUNCHER_MAX_BROWSERS): stop one, or retry later`,
        { 'retry-after': '5' },
      );
    }
    if (profile.proxy?.type === 'socks5' && profile.proxy.username) {
      throw new LauncherError(
        'PROXY_NOT_SUPPORTED',
        'socks5 proxies with a username/password are not supported by the local launcher: use an http proxy or a socks5 proxy without credentials',
      );
    }
    const run: Run = { state: 'starting' };
    this.runs.set(profile.id, run);
    this.failedStarts.delete(profile.id);
    const started = Date.now();
    const ready = this.launch(profile, userDataDir, run, options);
    run.ready = ready.catch(() => undefined);
    try {
      const result = await ready;
      run.state = 'running';
      this.options.logger.info(
        { profileId: profile.id, port: result.port, debugPort: result.debugPort, ms: Date.now() - started },
        'profile started',
      );
      return result;
    } catch (error) {
      await this.teardown(profile.id, run, 'killed');
      if (error instanceof LauncherError) throw error;
      this.failedStarts.add(profile.id);
      this.options.logger.error({ profileId: profile.id, err: error }, 'profile start failed');
      throw new LauncherError('START_BROWSER_ERROR', `browser start failed: ${(error as Error).message}`);
    }
  }

  private async launch(
    profile: ProfileRecord,
    userDataDir: string,
    run: Run,
    options: { headless: boolean; automationType: AutomationType },
  ): Promise<StartResult> {
    const proxy = profile.proxy;
    const policy = this.options.targetPolicy;
    let proxyServer: string | undefined;
    if (proxy) await checkProxyReachable(proxy, 3000);
    const upstream = proxy ? relayUpstreamFor(proxy, policy !== undefined) : null;
    if (upstream || (policy && !proxy)) {
      run.relay = await ProxyRelay.start(upstream, {
        policy,
        onRefused: (host, reason) =>
          this.options.logger.warn(
            { profileId: profile.id, host, reason },
            'refused a request to a private target',
          ),
      });
      proxyServer = run.relay.proxyServer;
    } else if (proxy) {
      proxyServer = `${proxy.type}://${proxy.host}:${proxy.port}`;
      if (policy) {
        this.options.logger.warn(
          { profileId: profile.id },
          'socks5 profile proxy: its requests are not checked for private targets (only the gotos are)',
        );
      }
    }
    const selenium = options.automationType === 'selenium';
    const timeout = this.options.startTimeoutMs;
    // Recorded before anything is spawned: a launcher killed from here on leaves nothing unrecorded.
    const tracking = this.options.records.begin(profile.id, userDataDir);
    // Chromium and chromedriver start in parallel: the driver is ready long before the browser.
    const [browser, driver] = await Promise.allSettled([
      BrowserProcess.launch({
        chromiumPath: this.options.chromiumPath,
        userDataDir,
        headless: options.headless,
        proxyServer,
        guarded: run.relay !== undefined && policy !== undefined,
        startTimeoutMs: timeout,
        tracking,
      }),
      selenium
        ? ChromedriverProcess.start(this.options.chromedriverPath, timeout, tracking)
        : Promise.resolve(undefined),
    ]);
    if (browser.status === 'fulfilled') run.browser = browser.value;
    if (driver.status === 'fulfilled') run.driver = driver.value;
    if (browser.status === 'rejected') throw browser.reason;
    if (driver.status === 'rejected') throw driver.reason;
    const chromium = browser.value;
    void chromium.exited.then(() => this.onBrowserExit(profile.id, run));
    if (run.driver) {
      run.front = await WebDriverFront.start({
        driverPort: run.driver.port,
        debuggerAddress: `127.0.0.1:${chromium.debugPort}`,
        host: this.options.webdriverHost ?? '127.0.0.1',
      });
    }
    const coreVersion = chromium.version.split('.')[0] ?? chromium.version;
    return { port: run.front?.port ?? chromium.debugPort, debugPort: chromium.debugPort, coreVersion };
  }

  /** A browser that dies on its own (crash, closed by a script) takes its helpers with it. */
  private onBrowserExit(profileId: string, run: Run): void {
    if (run.state !== 'running' || this.runs.get(profileId) !== run) return;
    this.options.logger.warn({ profileId }, 'browser exited without a stop: cleaning up its helpers');
    run.stopped = this.teardown(profileId, run, 'graceful').then(() => undefined);
  }

  /** Stops a profile's browser; false when it was not running. */
  async stop(profileId: string): Promise<boolean> {
    const run = this.runs.get(profileId);
    if (!run) return false;
    if (run.stopped) {
      await run.stopped;
      return true;
    }
    if (run.state === 'starting') await run.ready;
    if (this.runs.get(profileId) !== run) return true;
    const started = Date.now();
    run.stopped = this.teardown(profileId, run, 'graceful').then((outcome) => {
      this.options.logger.info({ profileId, outcome, ms: Date.now() - started }, 'profile stopped');
    });
    await run.stopped;
    return true;
  }

  private async teardown(profileId: string, run: Run, mode: 'graceful' | 'killed'): Promise<string> {
    run.state = 'stopping';
    // The WebDriver port closes first so no client drives a browser that is going away.
    await run.front?.close().catch(() => undefined);
    let outcome = 'none';
    if (run.browser) {
      if (mode === 'killed') {
        run.browser.kill();
        outcome = 'killed';
      } else {
        outcome = await run.browser.close(this.options.stopTimeoutMs);
      }
    }
    await Promise.all([run.driver?.close(), run.relay?.close()].map((p) => p?.catch(() => undefined)));
    this.options.records.remove(profileId);
    if (this.runs.get(profileId) === run) this.runs.delete(profileId);
    return outcome;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.runs.keys()].map((id) => this.stop(id)));
  }

  /**
   * Test-only stand-in for a launcher killed with SIGKILL: forgets its browsers and closes its
   * in-process servers, leaving Chromium and chromedriver running and recorded in running.json.
   */
  async abandon(): Promise<void> {
    const runs = [...this.runs.values()];
    this.runs.clear();
    await Promise.all(runs.flatMap((run) => [run.front?.close(), run.relay?.close()]));
  }
}
