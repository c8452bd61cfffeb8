import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { queueDemand } from '@fleet/api';
import { ITEM_TIMEOUT_MS_DEFAULT } from '@fleet/contracts';
import {
  type Container,
  containerEnv,
  K8S_DIR,
  type K8sObject,
  manifestFiles,
  named,
  OVERLAYS,
  ofKind,
  parseDocuments,
  portNumber,
  render,
  renderWithKubectl,
  renderWithResolver,
  validateObject,
  workloads,
} from './k8s-support.js';
import { APPS, appConfig, appEnvNames, appSensitiveEnvNames, read } from './support.js';

// deploy/k8s against the workspace and the Kubernetes/KEDA schemas: every manifest parses and
// validates, each overlay renders (kubectl's kustomize), every container running a Fleet app sets
// only settings of that app's schema with values it accepts, its ports and probes are the app's,
// secrets come only from the Secret, the worker's grace period outlasts its drain, and the KEDA
// trigger counts what really waits. No cluster is involved.

const rendered = Object.fromEntries(
  OVERLAYS.map((overlay) => [overlay, render(`overlays/${overlay}`)]),
) as Record<(typeof OVERLAYS)[number], K8sObject[]>;
const cases = OVERLAYS.map((overlay) => [overlay, rendered[overlay]] as const);

/** Containers running a Fleet app (the image's entry.sh takes the app name as the first argument). */
function fleetContainers(objects: K8sObject[]): Array<{ where: string; app: string; container: Container }> {
  return workloads(objects).flatMap((w) =>
    w.containers
      .filter((c) => c.image.startsWith('fleet/app') || c.image.startsWith('fleet/browser'))
      .map((container) => ({
        where: `${w.object.metadata.name}/${container.name}`,
        app: container.args?.[0] as string,
        container,
      })),
  );
}

describe('manifests', () => {
  it('every YAML file parses, and every object in it validates against its Kubernetes or KEDA schema', () => {
    const files = manifestFiles();
    expect(files.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const file of files) {
      for (const object of parseDocuments(readFileSync(join(K8S_DIR, file), 'utf8'), file)) {
        if (object.kind === 'Kustomization') continue;
        // Patches carry only what they change; the rendered objects below are checked whole.
        if (/^overlays\/[^/]+\/(provider|agent)\.yaml$/.test(file)) continue;
        try {
          validateObject(object);
        } catch (error) {
          problems.push(`${file} ${object.kind}/${object.metadata?.name}: ${(error as Error).message}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(cases)('overlay %s renders, and every rendered object validates', (_overlay, objects) => {
    expect(
      ofKind(objects, 'Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(['fleet-api', 'fleet-notifier', 'fleet-worker']);
    for (const object of objects) expect(() => validateObject(object)).not.toThrow();
  });

  it.each(OVERLAYS)(
    'overlay %s: the resolver renders what kubectl renders (where kubectl is installed)',
    (overlay) => {
      const byId = (objects: K8sObject[]) =>
        Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
      const resolved = byId(renderWithResolver(`overlays/${overlay}`));
      const kubectl = renderWithKubectl(`overlays/${overlay}`);
      if (kubectl === undefined) {
        // No kubectl: the checks below ran on the resolver's rendering; say so in the output.
        console.warn(
          `kubectl is not installed: deploy/k8s/overlays/${overlay} rendered by the test's resolver only`,
        );
        return;
      }
      expect(resolved).toEqual(byId(kubectl));
    },
  );

  it('the schema check can fail: a string port and a ScaledObject without a target are refused', () => {
    const deployment = structuredClone(named(rendered['local-launcher'], 'Deployment', 'fleet-api'));
    deployment.spec.template.spec.containers[0].ports[0].containerPort = '3000';
    expect(() => validateObject(deployment)).toThrow(/containerPort must be integer/);
    const scaler = structuredClone(named(rendered['local-launcher'], 'ScaledObject', 'fleet-worker'));
    delete scaler.spec.scaleTargetRef;
    expect(() => validateObject(scaler)).toThrow(/scaleTargetRef/);
  });

  it.each(cases)('%s: images are the kustomize placeholders (no registry host)', (_overlay, objects) => {
    for (const w of workloads(objects))
      for (const c of w.containers)
        expect({ container: c.name, image: c.image }).toEqual({
          container: c.name,
          image: expect.stringMatching(/^fleet\/[a-z-]+:[\w.-]+$/),
        });
  });
});

describe('apps: settings, ports, probes', () => {
  it.each(cases)(
    "%s: every variable is a setting of that app's schema, and its config loads",
    (_o, objects) => {
      const apps = fleetContainers(objects);
      expect(apps.map((a) => a.app).sort()).toEqual(
        _o === 'local-launcher' ? ['api', 'launcher', 'notifier', 'worker'] : ['api', 'notifier', 'worker'],
      );
      for (const { where, app, container } of apps) {
        const env = containerEnv(objects, container);
        const known = appEnvNames(app);
        expect({ where, unknown: Object.keys(env).filter((k) => !known.has(k)) }).toEqual({
          where,
          unknown: [],
        });
        let problem = '';
        try {
          appConfig(app, env);
        } catch (error) {
          problem = (error as Error).message;
        }
        expect({ where, problem }).toEqual({ where, problem: '' });
      }
    },
  );

  it.each(cases)("%s: container ports and probes are the app's port, /health and /ready", (_o, objects) => {
    for (const { where, app, container } of fleetContainers(objects)) {
      const info = APPS[app];
      const config = appConfig(app, containerEnv(objects, container));
      const port = config.get(info?.portKey as string);
      expect({ where, ports: container.ports?.map((p) => p.containerPort) }).toEqual({
        where,
        ports: [port],
      });
      const probe = (p: Container['livenessProbe']) => ({
        path: p?.httpGet?.path,
        port: portNumber(container, p?.httpGet?.port),
      });
      expect({ where, live: probe(container.livenessProbe), ready: probe(container.readinessProbe) }).toEqual(
        {
          where,
          live: { path: info?.healthPath, port },
          ready: { path: info?.readyPath, port },
        },
      );
      if (info?.hostKey)
        expect({ where, host: config.get(info.hostKey) }).toEqual({ where, host: '0.0.0.0' });
    }
  });

  it.each(cases)('%s: Services, Ingress backends and budgets select real pods and ports', (_o, objects) => {
    const pods = workloads(objects);
    const selects = (selector: Record<string, string>) =>
      pods.filter((w) => Object.entries(selector).every(([k, v]) => w.podLabels[k] === v));
    for (const service of ofKind(objects, 'Service')) {
      const [target] = selects(service.spec.selector);
      expect({ service: service.metadata.name, pods: selects(service.spec.selector).length }).toEqual({
        service: service.metadata.name,
        pods: 1,
      });
      for (const port of service.spec.ports) {
        const served = target?.containers.some((c) => portNumber(c, port.targetPort) !== undefined);
        expect({ service: service.metadata.name, port: port.name, served }).toEqual({
          service: service.metadata.name,
          port: port.name,
          served: true,
        });
      }
    }
    for (const ingress of ofKind(objects, 'Ingress'))
      for (const rule of ingress.spec.rules)
        for (const path of rule.http.paths) {
          const backend = path.backend.service;
          const service = named(objects, 'Service', backend.name);
          expect(service.spec.ports.map((p: { name: string }) => p.name)).toContain(backend.port.name);
        }
    for (const budget of ofKind(objects, 'PodDisruptionBudget'))
      expect({
        budget: budget.metadata.name,
        pods: selects(budget.spec.selector.matchLabels).length,
      }).toEqual({
        budget: budget.metadata.name,
        pods: 1,
      });
    expect(
      ofKind(objects, 'PodDisruptionBudget')
        .map((b) => b.metadata.name)
        .sort(),
    ).toEqual(['fleet-api', 'fleet-notifier', 'fleet-worker']);
  });

  it("the notifier's Ingress pins Socket.IO sessions (long-polling) to a pod by cookie", () => {
    const ingress = named(rendered['local-launcher'], 'Ingress', 'fleet-notifier');
    expect(ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/affinity']).toBe('cookie');
    const paths = ingress.spec.rules.flatMap((r: { http: { paths: { path: string }[] } }) => r.http.paths);
    // Socket.IO's default path; apps/notifier/src/notifier.ts does not change it.
    expect(paths.map((p: { path: string }) => p.path)).toEqual(['/socket.io']);
    expect(read('apps/notifier/src/notifier.ts')).not.toMatch(/\bpath:/);
    expect(named(rendered['local-launcher'], 'Ingress', 'fleet').metadata.annotations).not.toHaveProperty(
      'nginx.ingress.kubernetes.io/affinity',
    );
  });

  it.each(cases)('%s: Chromium containers get a memory-backed /dev/shm', (overlay, objects) => {
    const chromium = workloads(objects).flatMap((w) =>
      w.containers
        .filter((c) => c.args?.[0] === 'launcher' || c.name === 'multilogin-agent')
        .map((c) => ({ w, c })),
    );
    expect(chromium.length).toBe(1);
    for (const { w, c } of chromium) {
      const mount = c.volumeMounts?.find((m) => m.mountPath === '/dev/shm');
      const volume = w.volumes.find((v) => v.name === mount?.name);
      expect({ overlay, medium: volume?.emptyDir?.medium }).toEqual({ overlay, medium: 'Memory' });
    }
  });
});

describe('secrets', () => {
  const documented = (() => {
    const readme = read('deploy/k8s/README.md');
    const command = readme.match(/kubectl create secret generic fleet-secrets[^`]*/)?.[0] ?? '';
    return new Set([...command.matchAll(/--from-literal=([A-Z_]+)=/g)].map((m) => m[1] as string));
  })();

  it.each(cases)('%s: sensitive settings come only from the Secret, by secretKeyRef', (_o, objects) => {
    const problems: string[] = [];
    for (const { where, app, container } of fleetContainers(objects)) {
      const sensitive = new Set([...appSensitiveEnvNames(app), 'FLEET_API_KEYS', 'LAUNCHER_PASSWORD']);
      for (const v of container.env ?? []) {
        if (v.valueFrom?.secretKeyRef) {
          if (v.valueFrom.secretKeyRef.name !== 'fleet-secrets')
            problems.push(`${where} ${v.name}: other Secret`);
          if (!documented.has(v.valueFrom.secretKeyRef.key))
            problems.push(`${where} ${v.name}: key not in README`);
        } else if (sensitive.has(v.name) || /PASSWORD|TOKEN|SECRET/.test(v.name)) {
          problems.push(`${where} ${v.name}: inline value`);
        }
      }
    }
    for (const map of ofKind(objects, 'ConfigMap'))
      for (const key of Object.keys(map.data ?? {}))
        if (/PASSWORD|TOKEN|SECRET|API_KEYS/.test(key))
          problems.push(`ConfigMap ${map.metadata.name}: ${key}`);
    for (const value of ofKind(objects, 'ConfigMap').flatMap((m) => Object.values(m.data ?? {})))
      if (/^rediss?:\/\/[^/]*@/.test(value))
        problems.push(`a Redis URL with credentials: ${value.split('@')[1]}`);
    expect(ofKind(objects, 'Secret')).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('the check can fail: an inline password is reported', () => {
    const objects = structuredClone(rendered['local-launcher']);
    const worker = named(objects, 'Deployment', 'fleet-worker');
    worker.spec.template.spec.containers[0].env.push({ name: 'REDIS_PASSWORD', value: 'hunter2' });
    const container = worker.spec.template.spec.containers[0] as Container;
    const sensitive = appSensitiveEnvNames('worker');
    expect(container.env?.filter((v) => !v.valueFrom && sensitive.has(v.name)).map((v) => v.name)).toEqual([
      'REDIS_PASSWORD',
    ]);
  });
});

describe('worker: graceful stop and autoscaling', () => {
  // apps/worker/src/main.ts: the process gives itself SHUTDOWN_GRACE_MS + this margin to exit.
  const margin = (() => {
    const match = read('apps/worker/src/main.ts').match(
      /graceMs: config\.get\('shutdownGraceMs'\) \+ ([\d_]+)/,
    );
    if (!match?.[1])
      throw new Error("apps/worker/src/main.ts: no `graceMs: config.get('shutdownGraceMs') + N`");
    return Number(match[1].replaceAll('_', ''));
  })();

  it.each(cases)(
    '%s: Kubernetes waits longer than the worker drains; the drain covers the default item timeout',
    (_o, objects) => {
      const worker = workloads(objects).find((w) => w.object.metadata.name === 'fleet-worker');
      const container = worker?.containers.find((c) => c.args?.[0] === 'worker') as Container;
      const graceMs = Number(appConfig('worker', containerEnv(objects, container)).get('shutdownGraceMs'));
      expect(graceMs).toBeGreaterThanOrEqual(ITEM_TIMEOUT_MS_DEFAULT);
      expect((worker?.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(graceMs + margin);
    },
  );

  it.each(cases)(
    '%s: KEDA scales the worker Deployment on GET /metrics/queue demand ÷ WORKER_CONCURRENCY',
    (overlay, objects) => {
      const scaler = named(objects, 'ScaledObject', 'fleet-worker');
      expect(scaler.spec.scaleTargetRef.name).toBe('fleet-worker');
      named(objects, 'Deployment', scaler.spec.scaleTargetRef.name);
      const [trigger, ...more] = scaler.spec.triggers;
      expect(more).toEqual([]);
      expect(trigger.type).toBe('metrics-api');
      expect(trigger.metricType ?? 'AverageValue').toBe('AverageValue');
      // The URL: the API Service by its full name in the namespace, on the API's port, the route.
      const url = new URL(trigger.metadata.url);
      const service = named(objects, 'Service', 'fleet-api');
      expect(url.hostname).toBe(`${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`);
      const api = named(objects, 'Deployment', 'fleet-api').spec.template.spec.containers[0] as Container;
      expect(Number(url.port)).toBe(service.spec.ports[0].port);
      expect(portNumber(api, service.spec.ports[0].targetPort)).toBe(
        appConfig('api', containerEnv(objects, api)).get('apiPort'),
      );
      expect(read('apps/api/src/routes/metrics-routes.ts')).toContain(`app.get('${url.pathname}'`);
      // `demand` is a field of what the route answers (waiting + prioritized + delayed + active,
      // capped by the profiles that can run them).
      expect(trigger.metadata.valueLocation).toBe('demand');
      expect(Object.keys(queueDemand([], []))).toContain(trigger.metadata.valueLocation);
      const worker = named(objects, 'Deployment', 'fleet-worker').spec.template.spec
        .containers[0] as Container;
      const concurrency = appConfig('worker', containerEnv(objects, worker)).get('workerConcurrency');
      expect(Number(trigger.metadata.targetValue)).toBe(concurrency);
      expect(scaler.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      if (overlay === 'local-launcher') {
        const launcher = workloads(objects).find((w) => w.object.metadata.name === 'fleet-launcher');
        const env = containerEnv(objects, launcher?.containers[0] as Container);
        const browsers = Number(appConfig('launcher', env).get('maxBrowsers'));
        expect(scaler.spec.maxReplicaCount * Number(concurrency)).toBeLessThanOrEqual(browsers);
      }
    },
  );
});
