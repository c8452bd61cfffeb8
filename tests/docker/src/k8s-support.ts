import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { at } from './support.js';

// Reading deploy/k8s the way kustomize and the API server would, far enough for k8s.test.ts
// (no cluster is needed; kubectl is used only for its built-in kustomize).

export const K8S_DIR = at('deploy/k8s');
export const OVERLAYS = ['local-launcher', 'multilogin-agent'] as const;

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
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

/** `kubectl kustomize <dir>` (kustomize built into kubectl): the objects an apply would send. */
export function render(dir: string): K8sObject[] {
  const run = spawnSync('kubectl', ['kustomize', join(K8S_DIR, dir)], { encoding: 'utf8' });
  if (run.error) throw new Error(`kubectl is needed to render deploy/k8s (${run.error.message})`);
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${run.stderr}`);
  return parseDocuments(run.stdout, dir);
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
