import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// DESIGN.md section 1: core is the domain and imports no infrastructure library. Biome's
// noRestrictedImports enforces it in the editor; this test enforces it in CI, for every file.
const FORBIDDEN = [
  'ioredis',
  'bullmq',
  'got',
  'webdriverio',
  'socket.io',
  'fastify',
  'pino',
  'convict',
  'zod',
];
// contracts holds the wire formats core speaks in (DESIGN.md section 1: core ──► contracts).
const ALLOWED_BARE = new Set<string>(['@fleet/contracts']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('core layering', () => {
  it('imports only relative modules and node built-ins', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(join(__dirname))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        const spec = m[1]!;
        if (spec.startsWith('.') || spec.startsWith('node:') || ALLOWED_BARE.has(spec)) continue;
        if (file.endsWith('.test.ts') && spec.startsWith('@fleet/testing')) continue;
        offenders.push(`${file}: ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('declares no infrastructure dependency', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies });
    expect(deps.filter((d) => FORBIDDEN.some((f) => d === f || d.startsWith(`${f}/`)))).toEqual([]);
  });
});
