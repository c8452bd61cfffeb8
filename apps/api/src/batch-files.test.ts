import { readdirSync } from 'node:fs';
import { type BatchView, MAX_BATCH_FILE_BYTES } from '@fleet/contracts';
import { ACME_KEY, auth, batchBody, json, OTHER_KEY, STEPS, useTestApi } from './test-app.js';

describe('batch files (upload steps)', () => {
  const t = useTestApi([{ id: 'p1', pool: 'default' }]);

  const submit = (body: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: { ...auth(ACME_KEY), ...headers },
      payload: body as object,
    });

  const content = 'name,size\nlamp,3\n';
  const withUpload = (files: unknown[], items = 2) =>
    batchBody(items, {
      steps: [...STEPS, { upload: { selector: '#receipt', file: 'receipt' } }],
      files,
    });
  const receipt = (extra: Record<string, unknown> = {}) => ({
    name: 'receipt',
    filename: 'receipt.csv',
    type: 'text/csv',
    contentBase64: Buffer.from(content).toString('base64'),
    ...extra,
  });

  it('stores each file once as an artifact of the batch; every job carries its id, never the bytes', async () => {
    const extra = {
      name: 'extra',
      filename: 'x.bin',
      contentBase64: Buffer.from([0, 1, 2, 255]).toString('base64'),
    };
    // A media type is case-insensitive: stored and sent in one spelling.
    const res = await submit(withUpload([receipt({ type: 'Text/CSV' }), extra]));
    expect(res.statusCode).toBe(202);
    const { id } = json<BatchView>(res);
    const jobs = await Promise.all([0, 1].map((i) => t.queue.getJob(`${id}.${i}`)));
    const files = jobs[0]?.data.files;
    expect(files).toEqual({
      receipt: {
        artifactId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        filename: 'receipt.csv',
        type: 'text/csv',
      },
      extra: { artifactId: expect.any(String), filename: 'x.bin', type: 'application/octet-stream' },
    });
    expect(jobs[1]?.data.files).toEqual(files);
    for (const job of jobs) expect(JSON.stringify(job?.data)).not.toContain(receipt().contentBase64);
    const stored = await t.artifacts.get(files!.receipt!.artifactId);
    expect(Buffer.from(stored!.bytes).toString()).toBe(content);
    expect(stored).toMatchObject({ itemId: `${id}.files`, name: 'receipt', type: 'text/csv' });
    const bytes = await t.artifacts.get(files!.extra!.artifactId);
    expect([...bytes!.bytes]).toEqual([0, 1, 2, 255]);
    expect(bytes!.type).toBe('application/octet-stream');
    // Another tenant learns nothing of it.
    const theirs = await t.app.inject({
      url: `/v1/artifacts/${files!.receipt!.artifactId}`,
      headers: auth(OTHER_KEY),
    });
    expect(theirs.statusCode).toBe(404);
  });

  it('an idempotent replay stores nothing again', async () => {
    const headers = { 'idempotency-key': 'files-once' };
    const first = await submit(withUpload([receipt()]), headers);
    const stored = readdirSync(t.artifactsDir).length;
    const again = await submit(withUpload([receipt()]), headers);
    expect(readdirSync(t.artifactsDir).length).toBe(stored);
    expect([first.statusCode, again.statusCode]).toEqual([202, 202]);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const { id } = json<BatchView>(first);
    expect((await t.queue.getJob(`${id}.0`))?.data.files?.receipt?.artifactId).toBeDefined();
  });

  const refused = async (body: unknown) => {
    const res = await submit(body);
    expect(res.statusCode).toBe(400);
    return json<{ error: { code: string; details: Array<{ field: string; message: string }> } }>(res).error;
  };

  it('400 for content that is not base64', async () => {
    for (const bad of ['not base64!', 'QUJD=', 'QUJDR', 'QUJ=']) {
      const error = await refused(withUpload([receipt({ contentBase64: bad })]));
      expect([bad, error.code]).toEqual([bad, 'VALIDATION_FAILED']);
      expect(error.details).toContainEqual(expect.objectContaining({ field: 'files[0].contentBase64' }));
    }
  });

  it('400 for a file over 1 MiB, and for files over 5 MiB together', async () => {
    const big = Buffer.alloc(MAX_BATCH_FILE_BYTES + 1, 1).toString('base64');
    const one = await refused(withUpload([receipt({ contentBase64: big })]));
    expect(one.details).toContainEqual(
      expect.objectContaining({
        field: 'files[0].contentBase64',
        message: expect.stringContaining('at most'),
      }),
    );
    const mib = Buffer.alloc(MAX_BATCH_FILE_BYTES, 1).toString('base64');
    const many = Array.from({ length: 6 }, (_, i) =>
      receipt({ name: i === 0 ? 'receipt' : `f${i}`, contentBase64: mib }),
    );
    const total = await refused(withUpload(many, 1));
    expect(total.details).toContainEqual(expect.objectContaining({ field: 'files' }));
  });

  it('400 for an upload of a file the batch does not give, a repeated name, a path as file name', async () => {
    const unknown = await refused(withUpload([receipt({ name: 'other' })]));
    expect(unknown.details).toContainEqual({
      field: 'steps',
      message: 'an upload step names file "receipt", which is not in the batch\'s files',
    });
    const twice = await refused(withUpload([receipt(), receipt()]));
    expect(twice.details).toContainEqual(expect.objectContaining({ field: 'files[1].name' }));
    const path = await refused(withUpload([receipt({ filename: '../etc/passwd' })]));
    expect(path.details).toContainEqual(expect.objectContaining({ field: 'files[0].filename' }));
  });

  it('writes no file for a batch refused after the body check (a missing variable)', async () => {
    const before = readdirSync(t.artifactsDir).length;
    const body = { ...withUpload([receipt()]), items: [{}] };
    const error = await refused(body);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(readdirSync(t.artifactsDir).length).toBe(before);
  });
});
