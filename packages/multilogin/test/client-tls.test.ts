import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FatalError } from '@fleet/core';
import { MultiloginClient } from '../src/index.js';

// Multilogin's launcher certificate is reported self-signed by some clients: verification is on by
// default, fails with a FatalError that names the setting, and can be turned off.

const openssl = existsSync('/usr/bin/openssl');
let dir: string;
let server: Server;
let url: string;

beforeAll(async () => {
  if (!openssl) return;
  dir = mkdtempSync(join(tmpdir(), 'fleet-tls-'));
  execFileSync(
    '/usr/bin/openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  server = createServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: { error_code: '', http_code: 200, message: '' },
          data: { version: '1.2.3', env: 'test' },
        }),
      );
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  if (!openssl) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

(openssl ? test : test.skip)(
  'self-signed certificate: refused by default, accepted with tlsVerify false',
  async () => {
    const strict = new MultiloginClient({ launcherUrl: url });
    const error = await strict.version().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FatalError);
    expect(error).toMatchObject({ code: 'PROVIDER_TLS_FAILED' });
    expect((error as Error).message).toContain('MULTILOGIN_TLS_VERIFY=false');

    const lenient = new MultiloginClient({ launcherUrl: url, tlsVerify: false });
    expect(await lenient.version()).toEqual({ version: '1.2.3', env: 'test' });
  },
);
