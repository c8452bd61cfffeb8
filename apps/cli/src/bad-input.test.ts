import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, listenOnLoopback } from '@fleet/testing';
import { type CliResult, KEYS, STACK_LINE, TestFleet } from './test-fleet.js';

/**
 * Bad input never ends in a stack trace: a line that says what is wrong (a few for a batch's
 * problems or an API refusal's details), a non-zero exit, and the key never printed.
 */

let fleet: TestFleet;
let dir: string;
/** An HTTP server that counts requests: local checks must send nothing. */
let counter: { url: string; requests: number; close(): Promise<void> };
let closedPort: number;

beforeAll(async () => {
  fleet = await TestFleet.start();
  dir = mkdtempSync(join(tmpdir(), 'fleet-cli-bad-'));
  writeFileSync(
    join(dir, 'trailing-comma.json'),
    '{\n  "steps": [\n    { "goto": "http://x.test" },\n  ],\n  "items": [{}]\n}\n',
  );
  writeFileSync(join(dir, 'broken.yaml'), 'steps:\n  - goto: http://x.test\n    waitFor: [h1\nitems: []\n');
  writeFileSync(
    join(dir, 'invalid.json'),
    JSON.stringify({
      steps: [{ goto: '{{url}}' }, { extract: { name: 'title' } }, { hoover: 'a' }],
      items: [{ url: 'http://ok.test' }, { url: 'ftp://files.test' }, {}],
    }),
  );
  writeFileSync(join(dir, 'ok.json'), JSON.stringify({ steps: [{ goto: 'http://x.test' }], items: [{}] }));
  mkdirSync(join(dir, 'a-folder.json'));
  writeFileSync(join(dir, 'up-broken.json'), '{"apiUrl": ');
  const state = { requests: 0 };
  const server = createServer((_req, res) => {
    state.requests++;
    res.writeHead(500).end();
  });
  const listening = await listenOnLoopback(server);
  counter = {
    url: `http://127.0.0.1:${listening.port}`,
    get requests() {
      return state.requests;
    },
    close: listening.close,
  };
  closedPort = await freePort();
});
afterAll(async () => {
  await fleet.close();
  await counter.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Case {
  name: string;
  args: string[] | (() => string[]);
  env?: Record<string, string | undefined> | (() => Record<string, string | undefined>);
  code: number;
  /** stderr, line by line (the last newline dropped). */
  stderr: (string | RegExp)[] | (() => string[]);
  /** Sent nothing: the request counter did not move. */
  local?: true;
}

const WRONG_KEY = 'not-a-key-of-this-fleet-0123';
const localApi = () => ({ FLEET_API_URL: counter.url });

const CASES: Case[] = [
  {
    name: 'missing file',
    args: ['submit', 'nope.json'],
    env: localApi,
    code: 2,
    stderr: [/^no such file: nope\.json \(looked in .*fleet-cli-bad-\w+\)$/],
    local: true,
  },
  {
    name: 'a folder instead of a file',
    args: ['submit', 'a-folder.json'],
    env: localApi,
    code: 2,
    stderr: ['a-folder.json is a folder, not a batch file'],
    local: true,
  },
  {
    name: 'invalid JSON (line and column)',
    args: ['submit', 'trailing-comma.json'],
    env: localApi,
    code: 2,
    stderr: [
      'invalid JSON in trailing-comma.json at line 4, column 3: a comma before "]" (JSON allows no trailing comma)',
    ],
    local: true,
  },
  {
    name: 'invalid YAML (line and column)',
    args: ['submit', 'broken.yaml'],
    env: localApi,
    code: 2,
    stderr: [/^invalid YAML in broken\.yaml at line \d+, column \d+: \S.*$/],
    local: true,
  },
  {
    name: 'invalid batch: every problem, checked locally',
    args: ['submit', 'invalid.json', '--watch'],
    env: localApi,
    code: 2,
    stderr: [
      'invalid.json is not a valid batch (2 problems); nothing was sent:',
      '  steps[1].extract.selector: Invalid input: expected string, received undefined',
      '  steps[2]: a step is an object with exactly one of: goto, click, type, waitFor, extract, screenshot, assertText, sleep, select, hover, press, scroll, check, uncheck, waitForUrl, waitForText, setCookies, getCookies, clearStorage, evaluate, upload, if, forEach, paginate, frame, tab',
    ],
    local: true,
  },
  {
    name: 'invalid batch: {{var}} problems per item, as the API would find them',
    args: () => {
      writeFileSync(
        join(dir, 'vars.json'),
        JSON.stringify({
          steps: [{ goto: '{{url}}' }],
          items: [{ url: 'http://ok.test' }, { url: 'ftp://files.test' }, {}],
        }),
      );
      return ['submit', 'vars.json'];
    },
    env: localApi,
    code: 2,
    stderr: [
      'vars.json is not a valid batch (2 problems); nothing was sent:',
      '  items[1].steps[0].goto: "ftp://files.test" is not an http(s) URL',
      '  items[2].steps[0].goto: variable "url" is not set for this item',
    ],
    local: true,
  },
  {
    name: 'unreachable API',
    args: ['submit', 'ok.json'],
    env: () => ({ FLEET_API_URL: `http://127.0.0.1:${closedPort}` }),
    code: 3,
    stderr: () => [
      `cannot reach the API at http://127.0.0.1:${closedPort}: is the fleet running? (pnpm start)`,
    ],
  },
  {
    name: 'bad key (401 from the API)',
    args: ['batches', 'list'],
    env: { FLEET_API_KEY: WRONG_KEY },
    code: 1,
    stderr: [/^UNAUTHORIZED: \S/, '  (the API key came from FLEET_API_KEY)'],
  },
  {
    name: 'no key anywhere',
    args: ['batches', 'list'],
    env: { FLEET_API_KEY: undefined },
    code: 2,
    stderr: [
      'no API key: pass --api-key, set FLEET_API_KEY, or start the fleet with `pnpm start` (it writes .fleet/up.json)',
    ],
  },
  {
    name: 'a broken .fleet/up.json',
    args: ['batches', 'list'],
    env: () => ({ FLEET_API_KEY: undefined, FLEET_UP_FILE: join(dir, 'up-broken.json') }),
    code: 2,
    stderr: [/up-broken\.json is not the JSON object `fleet up` writes: delete it or start the fleet again$/],
  },
  {
    name: 'unknown command',
    args: ['launch', 'x'],
    code: 2,
    stderr: ['unknown command "launch"', 'run `pnpm fleet --help` for the commands'],
  },
  {
    name: 'unknown subcommand',
    args: ['profiles', 'delete', 'p1'],
    code: 2,
    stderr: ['unknown command "profiles delete": profiles takes list, add, import, quarantine, release'],
  },
  {
    name: 'missing argument',
    args: ['batches', 'cancel'],
    code: 2,
    stderr: ['missing <id>', 'usage: fleet batches cancel <id> [--json]'],
  },
  {
    name: 'unknown option (its value, a key, not repeated)',
    args: ['batches', 'list', `--apikey=${KEYS.ops.key}`],
    code: 2,
    stderr: ['unknown option --apikey', 'run `pnpm fleet --help` for the commands'],
  },
  {
    name: 'an id that starts with "-" (batches made before ids stopped doing so): how to pass it',
    args: ['batches', 'show', '-xY3abcdefghijkl'],
    code: 2,
    stderr: [
      'unknown option -x (an argument that starts with "-" goes after --, as in `fleet batches show -- -Ab3…`)',
      'run `pnpm fleet --help` for the commands',
    ],
  },
  {
    name: 'an option of another command',
    args: ['batches', 'show', 'b1', '--watch'],
    code: 2,
    stderr: ['--watch is not an option of `fleet batches show`', 'usage: fleet batches show <id> [--json]'],
  },
  {
    name: 'option without its value',
    args: ['batches', 'list', '--limit'],
    code: 2,
    stderr: ['--limit needs a value', 'run `pnpm fleet --help` for the commands'],
  },
  {
    name: 'option with a bad value',
    args: ['batches', 'list', '--limit', 'ten'],
    code: 2,
    stderr: ['--limit must be a whole number from 1 to 1000 (got "ten")'],
  },
  {
    name: 'not a URL',
    args: ['batches', 'list', '--api-url', 'localhost:3000'],
    code: 2,
    stderr: ['--api-url: use an http:// or https:// URL'],
  },
];

describe('bad input → a line on stderr, a non-zero exit, no stack trace, no key', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = counter.requests;
    const args = typeof c.args === 'function' ? c.args() : c.args;
    const env = typeof c.env === 'function' ? c.env() : c.env;
    const result: CliResult = await fleet.cli(args, { cwd: dir, ...(env ? { env } : {}) });
    const lines = typeof c.stderr === 'function' ? c.stderr() : c.stderr;
    const expected = lines.map((line) => (typeof line === 'string' ? line : expect.stringMatching(line)));
    expect({ code: result.code, stderr: result.stderr.split('\n').slice(0, -1) }).toEqual({
      code: c.code,
      stderr: expected,
    });
    expect(result.stderr).not.toMatch(STACK_LINE);
    for (const key of [...Object.values(KEYS).map((k) => k.key), WRONG_KEY]) {
      expect(result.stdout + result.stderr).not.toContain(key);
    }
    if (c.local) {
      expect(result.stdout).toBe('');
      expect(counter.requests).toBe(before);
    }
  });

  it('--help prints the commands and the settings; <command> --help its usage (exit 0)', async () => {
    const help = await fleet.cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: pnpm fleet <command> \[options\]$/m);
    for (const words of [
      'submit <file>',
      'batches results <id>',
      'profiles quarantine <id>',
      'FLEET_API_KEY',
    ]) {
      expect(help.stdout).toContain(words);
    }
    const submit = await fleet.cli(['submit', '--help']);
    expect(submit).toMatchObject({ code: 0, stderr: '' });
    expect(submit.stdout).toMatch(
      /^usage: fleet submit <batch\.json\|batch\.yaml> \[--watch\] \[--idempotency-key K\]/,
    );
    const group = await fleet.cli(['help', 'profiles']);
    expect(group.stdout).toMatch(/^usage: pnpm fleet profiles <command>/);
    expect(group.stdout).not.toContain('batches list');
  });
});
