import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { aptPackages, at, effective, parseDockerfile, read, type Stage, stageChain } from './support.js';

// The Dockerfile read as Docker reads it: stages, what each runtime target installs, who it runs as.

const stages = parseDockerfile();
const TARGETS = ['app', 'browser'];
const stage = (name: string) => stages.find((s) => s.name === name) as Stage;
const runs = (chain: Stage[]) =>
  chain.flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args));

describe('Dockerfile', () => {
  it('is multi-stage on node:20-bookworm-slim, with pnpm 12 from npm', () => {
    expect(read('Dockerfile')).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(stages[0]?.from).toMatch(/^\$\{NODE_IMAGE\}$/); // the ARG above, not another tag
    expect(stages.map((s) => s.name)).toEqual(expect.arrayContaining(['base', 'deps', 'source', ...TARGETS]));
    expect(runs([stage('base')]).join('\n')).toMatch(/npm install -g "?pnpm@\$\{PNPM_VERSION\}"?/);
    expect(read('Dockerfile')).toMatch(/^ARG PNPM_VERSION=12$/m);
  });

  it('installs dependencies from the manifests alone, with the frozen lockfile, before the code comes in', () => {
    const deps = stage('deps');
    const copies = deps.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toEqual(['--from=manifests /manifests/ ./']);
    expect(runs([deps]).join('\n')).toMatch(/pnpm install --frozen-lockfile/);
    // The manifests stage collects every workspace package's package.json: each glob of
    // pnpm-workspace.yaml, plus the root manifest, lockfile and settings.
    const collect = runs([stage('manifests')]).join('\n');
    const workspace = parse(read('pnpm-workspace.yaml')) as { packages: string[] };
    for (const glob of workspace.packages) expect(collect).toContain(`${glob}/package.json`);
    for (const file of ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', '.npmrc']) {
      expect(collect).toMatch(new RegExp(`cp --parents [^\\n]*(?<=\\s)${file.replace('.', '\\.')}(?=\\s)`));
    }
    expect(stage('source').from).toBe('deps');
  });

  it('installs chromium and chromium-driver in the browser target only', () => {
    const browser = aptPackages(stageChain(stages, 'browser'));
    expect([...browser]).toEqual(expect.arrayContaining(['chromium', 'chromium-driver', 'fonts-liberation']));
    const app = aptPackages(stageChain(stages, 'app'));
    expect([...app].filter((name) => /chrom/.test(name))).toEqual([]);
    // ...and only from Debian, with no browser download of any kind.
    const text = read('Dockerfile');
    expect(runs(stageChain(stages, 'browser')).join('\n')).toMatch(
      /apt-get install -y --no-install-recommends/,
    );
    expect(text).not.toMatch(/\b(curl|wget)\b.*chrom|puppeteer|@puppeteer\/browsers/i);
  });

  it.each(TARGETS)('target %s runs as a non-root user, under tini, through docker/entry.sh', (target) => {
    const chain = stageChain(stages, target);
    const user = effective(chain, 'USER');
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(runs(chain).join('\n')).toMatch(new RegExp(`useradd [^\\n]*\\b${user}\\b`));
    expect(aptPackages(chain).has('tini')).toBe(true);
    const entrypoint = JSON.parse(effective(chain, 'ENTRYPOINT') as string) as string[];
    expect(entrypoint).toEqual(['/usr/bin/tini', '--', '/app/docker/entry.sh']);
    expect(existsSync(at('docker/entry.sh'))).toBe(true);
    expect(readFileSync(at('docker/entry.sh'), 'utf8')).toMatch(/^#!\/bin\/sh\n/);
    const cmd = JSON.parse(effective(chain, 'CMD') as string) as string[];
    expect(cmd).toHaveLength(1);
    const healthcheck = effective(chain, 'HEALTHCHECK') as string;
    expect(healthcheck).toMatch(/CMD \["node", "\/app\/docker\/healthcheck\.mjs"\]$/);
    // The app tree is copied from the source stage; the data directories belong to the user.
    expect(
      chain[0]?.instructions.some((i) => i.keyword === 'COPY' && i.args === '--from=source /app /app'),
    ).toBe(true);
    expect(runs(chain).join('\n')).toMatch(new RegExp(`chown -R ${user}:${user} /data`));
  });

  it('keeps the host node_modules, data and git out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/data', '.git', 'bench/results']));
  });
});
