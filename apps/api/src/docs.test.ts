import {
  createBatchBodySchema,
  createProfileBodySchema,
  createScheduleBodySchema,
  createWebhookBodySchema,
  importProfilesBodySchema,
  patchProfileBodySchema,
  perSiteSchema,
  quarantineBodySchema,
} from '@fleet/contracts';
import { z } from 'zod';
import { registeredRoutes } from './docs/docs-plugin.js';
import { batchPriorityBodySchema } from './routes/priority-route.js';
import { json, startTestApi, type TestApi } from './test-app.js';

type Json = Record<string, unknown>;
type Operation = {
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: { $ref: string } }> };
  responses: Record<string, { content?: Record<string, { schema: Json }>; 'x-error-codes'?: string[] }>;
  security?: unknown[];
};
type Document = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
  security: unknown[];
};

/** The zod schema each route parses its body with (see routes/*-routes.ts). */
const BODY_SCHEMAS: Record<string, z.ZodType> = {
  'POST /v1/batches': createBatchBodySchema,
  'POST /v1/profiles': createProfileBodySchema,
  'PATCH /v1/profiles/{id}': patchProfileBodySchema,
  'POST /v1/profiles/{id}/quarantine': quarantineBodySchema,
  'POST /v1/profiles/import': importProfilesBodySchema,
  'POST /v1/admin/webhooks': createWebhookBodySchema,
  'POST /v1/schedules': createScheduleBodySchema,
  'PUT /v1/admin/sites/{host}': perSiteSchema,
  'PUT /v1/admin/batches/{id}/priority': batchPriorityBodySchema,
};

/** The docs, the board and its login pages, the dashboard page and its scripts document nothing themselves. */
const UNDOCUMENTED = [/^\/docs(\/|$)/, /^\/openapi\.json$/, /^\/admin(\/|$)/, /^\/$/, /^\/dashboard\//];

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function resolve(doc: Document, ref: string): Json {
  const match = /^#\/components\/schemas\/([A-Za-z0-9_]+)$/.exec(ref);
  const schema = match ? doc.components.schemas[match[1]!] : undefined;
  if (!schema) throw new Error(`unresolved $ref ${ref}`);
  return schema;
}

function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, found);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') found.push(v);
      else refsIn(v, found);
    }
  }
  return found;
}

function operations(doc: Document): { key: string; path: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, path, op })),
  );
}

describe('OpenAPI document and docs', () => {
  let t: TestApi;
  let doc: Document;

  beforeAll(async () => {
    t = await startTestApi();
    const res = await t.app.inject({ url: '/openapi.json' }); // public: no key
    expect(res.statusCode).toBe(200);
    doc = json<Document>(res);
  });
  afterAll(() => t.close());

  it('is an OpenAPI 3 document with a bearer scheme and the contract schemas', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info.title).toBeTruthy();
    expect(doc.info.version).toBeTruthy();
    expect(doc.components.securitySchemes.bearer).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    );
    expect(doc.security).toEqual([{ bearer: [] }]);
    for (const name of [
      'CreateBatchBody',
      'BatchView',
      'BatchPage',
      'ItemView',
      'ItemPage',
      'CreateProfileBody',
      'PatchProfileBody',
      'ProfileView',
      'ImportProfilesBody',
      'QuarantineBody',
      'Step',
      'FleetEvent',
      'ErrorBody',
    ]) {
      expect(doc.components.schemas).toHaveProperty(name);
    }
    for (const ref of refsIn(doc)) expect(() => resolve(doc, ref)).not.toThrow();
  });

  it('every operation is well formed: path parameters declared, a 2xx answer, errors in the error shape', () => {
    for (const { key, path, op } of operations(doc)) {
      expect([key, METHODS.includes(key.split(' ')[0]!.toLowerCase())]).toEqual([key, true]);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
      expect([key, declared.map((p) => p.name).sort()]).toEqual([key, [...templated].sort()]);
      for (const p of declared) expect(p.required).toBe(true);
      const statuses = Object.keys(op.responses);
      expect([key, statuses.some((s) => /^2\d\d$/.test(s))]).toEqual([key, true]);
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        const response = op.responses[status]!;
        expect([key, status, response.content?.['application/json']?.schema]).toEqual([
          key,
          status,
          { $ref: '#/components/schemas/ErrorBody' },
        ]);
        expect(response['x-error-codes']?.length).toBeGreaterThan(0);
      }
      // Every authenticated route can answer 401; public ones say they need no key.
      if (op.security === undefined)
        expect([key, op.responses['401']?.['x-error-codes']]).toEqual([key, ['UNAUTHORIZED']]);
      else expect(op.security).toEqual([]);
    }
  });

  it('documents every route the app registers, and no route it does not', () => {
    const registered = registeredRoutes(t.app)
      .filter((r) => !UNDOCUMENTED.some((pattern) => pattern.test(r.url)))
      .map((r) => `${r.method} ${r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
    expect(registered.length).toBeGreaterThan(15);
    const documented = operations(doc).map((o) => o.key);
    expect(registered.filter((r) => !documented.includes(r))).toEqual([]);
    expect(documented.filter((d) => !registered.includes(d))).toEqual([]);
    // The collector sees the routes the docs leave out too.
    expect(registeredRoutes(t.app).some((r) => r.url.startsWith('/admin/queues'))).toBe(true);
  });

  it('documents each request body as the JSON Schema of the zod schema its route parses', () => {
    const withBody = operations(doc).filter((o) => o.op.requestBody);
    expect(withBody.map((o) => o.key).sort()).toEqual(Object.keys(BODY_SCHEMAS).sort());
    for (const { key, op } of withBody) {
      const ref = op.requestBody!.content['application/json']!.schema.$ref;
      const {
        $schema: _dialect,
        $defs,
        ...generated
      } = z.toJSONSchema(BODY_SCHEMAS[key]!, {
        io: 'input',
      }) as Json;
      // zod puts the recursive step schema in $defs; the document keeps it once, as Step.
      const defs = Object.keys(($defs ?? {}) as Json);
      const toStep = (schema: unknown) => {
        let text = JSON.stringify(schema);
        for (const name of defs) text = text.replaceAll(`"#/$defs/${name}"`, '"#/components/schemas/Step"');
        return JSON.parse(text) as Json;
      };
      expect([key, resolve(doc, ref)]).toEqual([key, toStep(generated)]);
      for (const name of defs) {
        const { description: _doc, ...step } = doc.components.schemas.Step as Json;
        expect([key, step]).toEqual([key, toStep(($defs as Json)[name])]);
      }
    }
  });

  it('/docs renders Swagger UI from local assets, without a key', async () => {
    const page = await t.app.inject({ url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('swagger-ui');
    expect(page.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    const scripts = [...page.body.matchAll(/src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      const asset = await t.app.inject({
        url: src.startsWith('/') ? src : `/docs/${src.replace(/^\.\//, '')}`,
      });
      expect([src, asset.statusCode]).toEqual([src, 200]);
    }
    const served = await t.app.inject({ url: '/docs/json' });
    expect(json(served)).toEqual(doc);
  });
});
