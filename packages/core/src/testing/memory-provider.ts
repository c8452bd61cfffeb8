import type { ProfileProvider, ProviderProfileStatus, WebDriverEndpoint } from '../ports/profile-provider.js';
import type { Profile, ProxyConfig } from '../profile.js';

/**
 * Browsers that "run" between start and stop; nothing is launched. The endpoint points at the
 * discard port: a driver that really connects to it fails, so pair it with a fake driver.
 */
export class MemoryProvider implements ProfileProvider {
  readonly running = new Set<string>();
  /** Every prepare, in order: the proxy each profile was set to. */
  readonly prepared: { profileId: string; proxy: ProxyConfig | null }[] = [];
  readonly stopped: string[] = [];
  starts = 0;
  /**
   * Runs at each start before the browser "runs": throw from it to fail the start (a domain
   * error, as a real provider would), or await something to hold the start open.
   */
  beforeStart: ((profile: Profile) => void | Promise<void>) | null = null;
  /** Runs at each start once the browser "runs": throw from it to lose the start's answer. */
  afterStart: ((profile: Profile) => void | Promise<void>) | null = null;

  /** Holds every start open (the browser "booting") until the returned function is called. */
  holdStarts(): () => void {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.beforeStart = () => gate;
    return () => open();
  }

  async prepare(profile: Profile, proxy: ProxyConfig | null): Promise<void> {
    this.prepared.push({ profileId: profile.id, proxy });
  }

  async start(profile: Profile): Promise<WebDriverEndpoint> {
    await this.beforeStart?.(profile);
    this.starts++;
    this.running.add(profile.id);
    await this.afterStart?.(profile);
    return { protocol: 'http', hostname: '127.0.0.1', port: 9, path: '/' };
  }

  async stop(profile: Profile): Promise<void> {
    this.stopped.push(profile.id);
    this.running.delete(profile.id);
  }

  async status(profile: Profile): Promise<ProviderProfileStatus> {
    return this.running.has(profile.id) ? 'running' : 'stopped';
  }
}
