import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { parse, parseAllDocuments } from 'yaml';
import { at } from './support.js';

// Reading deploy/k8s the way kustomize and the API server would, far enough for k8s.test.ts
// (no cluster is needed; kubectl is used only for its built-in kustomize).

export const K8S_DIR = at('deploy/k8s');
export const OVERLAYS = ['local-launcher', 'multilogin-agent'] as const;

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked by the models, read loosely here
  spec?: any;
  data?: Record<string, string>;
}

/** The models (kubernetes-models, @kubernetes-models/keda) each kind in deploy/k8s is checked with. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};

/** Throws the schema's complaint (or that no schema is known for the kind). */
export function validateObject(object: K8sObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  new Model(object as never).validate();
}

/** Every YAML file under deploy/k8s, relative paths. */
export function manifestFiles(dir = K8S_DIR): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...manifestFiles(path));
    else if (/\.ya?ml$/.test(name)) files.push(relative(K8S_DIR, path));
  }
  return files.sort();
}

/** The documents of a YAML text; a syntax error throws. */
export function parseDocuments(text: string, where: string): K8sObject[] {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors[0]?.message}`);
    return doc.toJS() as K8sObject;
  });
}

/** `kubectl kustomize <dir>` (kustomize built into kubectl), or undefined when kubectl is not installed. */
export function renderWithKubectl(dir: string): K8sObject[] | undefined {
  const run = spawnSync('kubectl', ['kustomize', join(K8S_DIR, dir)], { encoding: 'utf8' });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${run.stderr}`);
  return parseDocuments(run.stdout, dir);
}

interface Kustomization {
  namespace?: string;
  resources?: string[];
  labels?: Array<{ pairs: Record<string, string> }>;
  patches?: Array<{ path?: string; patch?: string; target?: { kind: string; name: string } }>;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
}

/** List fields strategic merge patching merges by a key (the rest are replaced), as Kubernetes' types say. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  volumes: 'name',
  env: 'name',
  ports: 'containerPort',
  volumeMounts: 'mountPath',
};

function strategicMerge(base: unknown, patch: unknown, field = ''): unknown {
  if (Array.isArray(patch)) {
    const key = MERGE_KEYS[field];
    if (!key || !Array.isArray(base)) return patch;
    // The patch's items first, in its order (merged with the base's of the same key), then the
    // base's other items: the order kustomize gives.
    const merged = patch.map((item) => {
      const same = base.find((b) => b[key] === item[key]);
      return same === undefined ? item : strategicMerge(same, item);
    });
    return [...merged, ...base.filter((b) => !patch.some((item) => item[key] === b[key]))];
  }
  if (patch === null || typeof patch !== 'object' || base === null || typeof base !== 'object') return patch;
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch)) merged[k] = strategicMerge(merged[k], v, k);
  return merged;
}

/** JSON patch (RFC 6902) `add` and `replace`, the operations deploy/k8s uses. */
function jsonPatch(object: K8sObject, operations: Array<{ op: string; path: string; value: unknown }>): void {
  for (const { op, path, value } of operations) {
    if (op !== 'add' && op !== 'replace') throw new Error(`JSON patch op ${op} is not supported here`);
    const keys = path.split('/').slice(1);
    // biome-ignore lint/suspicious/noExplicitAny: walking a manifest by path
    let node: any = object;
    for (const key of keys.slice(0, -1)) node = node[key];
    node[keys.at(-1) as string] = value;
  }
}

/**
 * The same rendering without kubectl, for machines that lack it: resources (files and directories),
 * `namespace`, `labels` (metadata only), `patches` (strategic merge files; inline JSON patches with a target)
 * and `images`. Where kubectl is installed, k8s.test.ts checks both give the same objects.
 */
export function renderWithResolver(dir: string): K8sObject[] {
  const root = join(K8S_DIR, dir);
  const kustomization = parse(readFileSync(join(root, 'kustomization.yaml'), 'utf8')) as Kustomization;
  let objects: K8sObject[] = [];
  for (const resource of kustomization.resources ?? []) {
    const path = join(root, resource);
    objects.push(
      ...(existsSync(join(path, 'kustomization.yaml'))
        ? renderWithResolver(relative(K8S_DIR, path))
        : parseDocuments(readFileSync(path, 'utf8'), path)),
    );
  }
  if (kustomization.namespace)
    for (const object of objects) object.metadata.namespace = kustomization.namespace;
  for (const { pairs } of kustomization.labels ?? [])
    for (const object of objects) object.metadata.labels = { ...object.metadata.labels, ...pairs };
  for (const patch of kustomization.patches ?? []) {
    if (patch.path) {
      for (const doc of parseDocuments(readFileSync(join(root, patch.path), 'utf8'), patch.path)) {
        const at = objects.findIndex((o) => o.kind === doc.kind && o.metadata.name === doc.metadata.name);
        if (at < 0)
          throw new Error(`${dir}: patch ${patch.path} matches no ${doc.kind} ${doc.metadata.name}`);
        objects[at] = strategicMerge(objects[at], doc) as K8sObject;
      }
    } else if (patch.patch && patch.target) {
      const { kind, name } = patch.target;
      const target = objects.find((o) => o.kind === kind && o.metadata.name === name);
      if (!target) throw new Error(`${dir}: inline patch matches no ${kind} ${name}`);
      jsonPatch(target, parse(patch.patch));
    }
  }
  for (const image of kustomization.images ?? []) {
    objects = objects.map((object) => {
      for (const c of object.spec?.template?.spec?.containers ?? []) {
        const [name, tag] = (c.image as string).split(':');
        if (name === image.name) c.image = `${image.newName ?? name}:${image.newTag ?? tag ?? 'latest'}`;
      }
      return object;
    });
  }
  return objects;
}

/** kubectl's rendering when kubectl is installed, the resolver's otherwise. */
export function render(dir: string): K8sObject[] {
  return renderWithKubectl(dir) ?? renderWithResolver(dir);
}

export const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);

export function named(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendering`);
  return found;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: unknown };
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: { httpGet?: { path: string; port: number | string } };
  livenessProbe?: { httpGet?: { path: string; port: number | string } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

export interface Workload {
  object: K8sObject;
  podLabels: Record<string, string>;
  containers: Container[];
  // biome-ignore lint/suspicious/noExplicitAny: read loosely, validated by the models
  volumes: any[];
  terminationGracePeriodSeconds: number | undefined;
}

export function workloads(objects: K8sObject[]): Workload[] {
  return objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
    .map((object) => ({
      object,
      podLabels: object.spec.template.metadata?.labels ?? {},
      containers: object.spec.template.spec.containers,
      volumes: object.spec.template.spec.volumes ?? [],
      terminationGracePeriodSeconds: object.spec.template.spec.terminationGracePeriodSeconds,
    }));
}

/** The environment a container gets: ConfigMap values as they are, secrets as `test-<key>`. */
export function containerEnv(objects: K8sObject[], container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.secretRef) throw new Error(`${container.name}: envFrom secretRef (whole Secret) is not used`);
    const map = named(objects, 'ConfigMap', source.configMapRef?.name as string);
    Object.assign(env, map.data ?? {});
  }
  for (const variable of container.env ?? []) {
    const secret = variable.valueFrom?.secretKeyRef;
    env[variable.name] = secret ? secretTestValue(secret.key) : (variable.value ?? '');
  }
  return env;
}

/** Values that pass the apps' checks, standing in for the Secret's. */
export function secretTestValue(key: string): string {
  if (key === 'FLEET_API_KEYS')
    return JSON.stringify([{ name: 'ops', role: 'admin', key: 'k8s-tests-admin-key-0123456789abcdef' }]);
  if (key === 'FLEET_SECRET_KEY') return 'ab'.repeat(32);
  return `test-${key.toLowerCase()}`;
}

/** A probe's or a Service's port: a number, or the name of one of the container's ports. */
export function portNumber(container: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}
