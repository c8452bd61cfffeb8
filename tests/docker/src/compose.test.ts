import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  APPS,
  appConfig,
  appEnvNames,
  appOf,
  aptPackages,
  at,
  type ComposeService,
  dependsOn,
  durationMs,
  healthcheckWords,
  parseDockerfile,
  portMappings,
  readCompose,
  readEntryScript,
  serviceEnv,
  stageChain,
  startScript,
  volumeMounts,
} from './support.js';

// docker-compose.yml against the workspace: every service runs a real app, sets only variables
// that app's config schema knows (with values it accepts), and its ports and probes are the ones
// the app listens on.

const compose = readCompose();
const services = compose.services;
const entry = readEntryScript();
const stages = parseDockerfile();

// What a user passes (`FLEET_API_KEYS=... docker compose up`); every other variable keeps its default.
const VARS = {
  FLEET_API_KEYS: JSON.stringify([
    { name: 'ops', role: 'admin', key: 'docker-tests-admin-key-0123456789abcdef' },
  ]),
};

const appServices = Object.entries(services).filter(([, service]) => appOf(service) !== 'redis-server');
const byApp = (app: string): [string, ComposeService][] =>
  appServices.filter(([, service]) => appOf(service) === app);
const envOf = (service: ComposeService) => serviceEnv(service, VARS);

describe('services', () => {
  it('are redis and the four apps, each run by docker/entry.sh with an app it knows', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'launcher', 'notifier', 'redis', 'worker']);
    for (const [name, service] of appServices) {
      const app = appOf(service);
      expect({ service: name, app, known: entry.apps.includes(app as string) }).toEqual({
        service: name,
        app,
        known: true,
      });
      expect(service.entrypoint).toBeUndefined(); // the image's tini → entry.sh
      expect(service.build).toBeDefined();
    }
    expect(appServices.map(([, service]) => appOf(service)).sort()).toEqual(Object.keys(APPS).sort());
  });

  it("entry.sh names real apps and runs what each app's package.json start script runs", () => {
    expect([...entry.apps].sort()).toEqual(Object.keys(APPS).sort());
    for (const app of entry.apps) {
      expect({ app, start: startScript(app) }).toEqual({ app, start: entry.command });
      expect(existsSync(at('apps', app, 'src/main.ts'))).toBe(true);
    }
  });

  it('build targets exist in the Dockerfile; worker and launcher get the one with Chromium', () => {
    const names = stages.map((stage) => stage.name);
    for (const [name, service] of appServices) {
      const build = typeof service.build === 'string' ? { context: service.build } : service.build;
      expect({ service: name, context: build?.context }).toEqual({ service: name, context: '.' });
      expect(names).toContain(build?.target);
      const chromium = aptPackages(stageChain(stages, build?.target as string)).has('chromium');
      expect({ service: name, chromium }).toEqual({
        service: name,
        chromium: ['worker', 'launcher'].includes(appOf(service) as string),
      });
    }
  });
});

describe('environment', () => {
  it("every variable set for a service is a setting of that app's config schema (or a common one)", () => {
    for (const [name, service] of appServices) {
      const known = appEnvNames(appOf(service) as string);
      const unknown = Object.keys(envOf(service)).filter((key) => !known.has(key));
      expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
    }
  });

  it('every value is one the app accepts (its config loads)', () => {
    for (const [name, service] of appServices) {
      let problem = '';
      try {
        appConfig(appOf(service) as string, envOf(service));
      } catch (error) {
        problem = (error as Error).message;
      }
      expect({ service: name, problem }).toEqual({ service: name, problem: '' });
    }
  });

  it('FLEET_API_KEYS must come from the user: without it compose refuses to start', () => {
    for (const [name, service] of [...byApp('api'), ...byApp('notifier')]) {
      expect({ service: name, raw: (service.environment as Record<string, string>).FLEET_API_KEYS }).toEqual({
        service: name,
        raw: expect.stringMatching(/^\$\{FLEET_API_KEYS:\?.+\}$/),
      });
      expect(() => serviceEnv(service, {})).toThrow(/FLEET_API_KEYS/);
    }
  });

  it('Redis and the provider are reached by service name, on the ports they listen on', () => {
    const launcherPort = appConfig('launcher', envOf(services.launcher as ComposeService)).get(
      'launcherPort',
    );
    for (const [name, service] of appServices) {
      const env = envOf(service);
      if (appOf(service) !== 'launcher') {
        expect({ service: name, redis: env.REDIS_URL }).toEqual({
          service: name,
          redis: 'redis://redis:6379',
        });
      }
      for (const key of ['MULTILOGIN_API_URL', 'MULTILOGIN_LAUNCHER_URL']) {
        if (env[key] === undefined) continue;
        const url = new URL(env[key]);
        expect({ service: name, key, host: url.hostname, port: Number(url.port) }).toEqual({
          service: name,
          key,
          host: 'launcher',
          port: launcherPort,
        });
      }
    }
    expect(portMappings(services.redis as ComposeService).map((p) => p.container)).toEqual([6379]);
  });

  it('apps with a listen address listen on every interface (loopback is unreachable from other containers)', () => {
    for (const [name, service] of appServices) {
      const app = appOf(service) as string;
      const hostKey = APPS[app]?.hostKey;
      if (!hostKey) continue;
      expect({ service: name, host: appConfig(app, envOf(service)).get(hostKey) }).toEqual({
        service: name,
        host: '0.0.0.0',
      });
    }
  });

  it('the API and the workers share the artifacts volume at their ARTIFACTS_DIR', () => {
    const volumeAt = (service: ComposeService) => {
      const dir = envOf(service).ARTIFACTS_DIR;
      return volumeMounts(service).find((mount) => mount.target === dir)?.source;
    };
    const apiVolume = volumeAt(services.api as ComposeService);
    expect(apiVolume).toBeDefined();
    expect(volumeAt(services.worker as ComposeService)).toBe(apiVolume);
    expect(Object.keys(compose.volumes ?? {})).toContain(apiVolume);
  });
});

describe('ports and health checks', () => {
  it("every published port and health-check port is the app's configured port", () => {
    for (const [name, service] of appServices) {
      const app = appOf(service) as string;
      const info = APPS[app];
      const port = appConfig(app, envOf(service)).get(info?.portKey as string);
      for (const mapping of portMappings(service)) {
        expect({ service: name, container: mapping.container }).toEqual({ service: name, container: port });
      }
      const words = healthcheckWords(service);
      expect({ service: name, probe: words.slice(0, 3) }).toEqual({
        service: name,
        probe: ['CMD', 'node', '/app/docker/healthcheck.mjs'],
      });
      const url = new URL(words[3] as string);
      expect({ service: name, host: url.hostname, port: Number(url.port), path: url.pathname }).toEqual({
        service: name,
        host: '127.0.0.1',
        port,
        path: info?.healthPath,
      });
    }
  });

  it('every service has a health check and a restart policy', () => {
    for (const [name, service] of Object.entries(services)) {
      expect({ service: name, health: healthcheckWords(service).length > 0 }).toEqual({
        service: name,
        health: true,
      });
      expect({ service: name, restart: service.restart }).toEqual({
        service: name,
        restart: expect.stringMatching(/^(always|unless-stopped|on-failure)/),
      });
    }
  });
});

describe('redis', () => {
  const redis = services.redis as ComposeService;
  const command = (Array.isArray(redis.command) ? redis.command : String(redis.command).split(/\s+/)).join(
    ' ',
  );

  it('keeps an append-only file and never evicts keys, on a volume', () => {
    expect(redis.image).toMatch(/^redis:7/);
    expect(command).toMatch(/--appendonly yes\b/);
    expect(command).toMatch(/--maxmemory-policy noeviction\b/);
    expect(volumeMounts(redis).map((mount) => mount.target)).toContain('/data');
    expect(healthcheckWords(redis)).toEqual(['CMD', 'redis-cli', 'ping']);
  });
});

describe('scaling and shutdown', () => {
  it('the worker can scale: no container_name, no fixed host port, no shared network namespace', () => {
    for (const [name, service] of byApp('worker')) {
      expect({ service: name, container_name: service.container_name }).toEqual({
        service: name,
        container_name: undefined,
      });
      expect(portMappings(service).filter((mapping) => mapping.host !== undefined)).toEqual([]);
      expect(service.network_mode).toBeUndefined();
    }
  });

  it("the worker's stop_grace_period is longer than its SHUTDOWN_GRACE_MS", () => {
    const [, worker] = byApp('worker')[0] as [string, ComposeService];
    const grace = appConfig('worker', envOf(worker)).get('shutdownGraceMs') as number;
    expect(durationMs(worker.stop_grace_period ?? '10s')).toBeGreaterThan(grace);
  });

  it('depends_on names real services, and waits for health only where there is a health check', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, condition] of Object.entries(dependsOn(service))) {
        expect({ service: name, dependency, exists: dependency in services }).toEqual({
          service: name,
          dependency,
          exists: true,
        });
        if (condition === 'service_healthy') {
          expect(healthcheckWords(services[dependency] as ComposeService).length).toBeGreaterThan(0);
        }
      }
    }
    expect(dependsOn(services.worker as ComposeService)).toMatchObject({
      redis: 'service_healthy',
      launcher: 'service_healthy',
    });
  });
});

// The real parser, when there is one. No Docker here: the check says so instead of passing silently.
const dockerCompose = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
const hasCompose = dockerCompose.status === 0;
(hasCompose ? it : it.skip)(
  hasCompose
    ? 'docker compose config -q accepts the file'
    : 'docker compose config -q accepts the file (skipped: no `docker compose` on PATH)',
  () => {
    const result = spawnSync('docker', ['compose', '-f', at('docker-compose.yml'), 'config', '-q'], {
      encoding: 'utf8',
      env: { ...process.env, ...VARS },
    });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  },
);
