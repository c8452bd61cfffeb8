import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, read } from './support.js';

// DESIGN.md's layout block is the map a newcomer reads first: it must name every folder of apps/,
// packages/ and tests/, and nothing that is not there.

const GROUPS = ['apps', 'packages', 'tests'] as const;
type Group = (typeof GROUPS)[number];

/** What pnpm, turbo and the tools leave behind in a folder; a folder holding only these is gone. */
const LEFTOVERS = new Set(['node_modules', '.turbo', 'dist', 'coverage']);

interface Layout {
  /** Column-0 entries (`apps/`, `docker/`, `bench/results/`), without the trailing slash. */
  topLevel: string[];
  /** The folders listed under each group, in order. */
  folders: Record<Group, string[]>;
  /** Lines the block gets wrong: a folder outside a group, a folder without a description. */
  problems: string[];
}

/** Reads the fenced block that follows the `## Layout` heading (numbered or not: `## 2. Layout`). */
function parseLayout(markdown: string): Layout {
  const heading = markdown.search(/^## (?:\d+\. )?Layout[ \t]*$/m);
  if (heading < 0) throw new Error('DESIGN.md has no "## Layout" heading');
  const block = markdown.slice(heading).match(/^```[^\n]*\n([\s\S]*?)^```/m);
  if (!block?.[1]) throw new Error('DESIGN.md has no fenced block under "## Layout"');
  const layout: Layout = { topLevel: [], folders: { apps: [], packages: [], tests: [] }, problems: [] };
  let group: Group | null = null;
  for (const line of block[1].split('\n')) {
    if (line.trim() === '') continue;
    const top = line.match(/^(\S+)\/(?:\s|$)/);
    if (top) {
      const name = top[1] as string;
      layout.topLevel.push(name);
      group = (GROUPS as readonly string[]).includes(name) ? (name as Group) : null;
      continue;
    }
    const nested = line.match(/^\s+([^\s/]+)\/(?:\s+(\S.*))?$/);
    if (!nested) {
      layout.problems.push(`not a "name/  description" line: ${JSON.stringify(line)}`);
      continue;
    }
    const name = nested[1] as string;
    if (!group) {
      layout.problems.push(`${name}/ is listed outside apps/, packages/ and tests/`);
      continue;
    }
    if (!nested[2]) layout.problems.push(`${group}/${name}/ has no description`);
    if (layout.folders[group].includes(name)) layout.problems.push(`${group}/${name}/ is listed twice`);
    layout.folders[group].push(name);
  }
  return layout;
}

/** The folders of `<root>/<group>` that hold something besides build and install leftovers. */
function foldersOnDisk(root: string, group: Group): string[] {
  const dir = join(root, group);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .filter((entry) => readdirSync(join(dir, entry.name)).some((name) => !LEFTOVERS.has(name)))
    .map((entry) => entry.name)
    .sort();
}

/** Both directions: folders on disk the map does not name, and mapped folders that do not exist. */
function compareLayout(
  markdown: string,
  root: string,
): { missingFromMap: string[]; missingFromDisk: string[]; problems: string[] } {
  const layout = parseLayout(markdown);
  const missingFromMap: string[] = [];
  const missingFromDisk: string[] = [];
  for (const group of GROUPS) {
    if (!layout.topLevel.includes(group)) layout.problems.push(`${group}/ is not in the layout block`);
    const mapped = layout.folders[group];
    const onDisk = foldersOnDisk(root, group);
    for (const name of onDisk) if (!mapped.includes(name)) missingFromMap.push(`${group}/${name}`);
    for (const name of mapped) if (!onDisk.includes(name)) missingFromDisk.push(`${group}/${name}`);
  }
  for (const name of layout.topLevel) if (!existsSync(join(root, name))) missingFromDisk.push(name);
  return { missingFromMap, missingFromDisk, problems: layout.problems };
}

describe('DESIGN.md layout', () => {
  const result = compareLayout(read('DESIGN.md'), ROOT);

  it('names every folder of apps/, packages/ and tests/', () => {
    expect(result.missingFromMap).toEqual([]);
  });

  it('names no folder that is not on disk', () => {
    expect(result.missingFromDisk).toEqual([]);
  });

  it('gives each folder one line with a description, inside its group', () => {
    expect(result.problems).toEqual([]);
    const layout = parseLayout(read('DESIGN.md'));
    for (const group of GROUPS) expect(layout.folders[group].length).toBeGreaterThan(0);
  });
});

describe('compareLayout', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'fleet-design-map-'));
    for (const dir of ['apps/api/src', 'apps/worker/src', 'packages/core/src', 'tests/e2e/src', 'docker'])
      mkdirSync(join(root, dir), { recursive: true });
    for (const dir of ['apps/api/src', 'apps/worker/src', 'packages/core/src', 'tests/e2e/src'])
      writeFileSync(join(root, dir, 'index.ts'), '');
    // A folder left with only node_modules after its package moved away is not a folder of the tree.
    mkdirSync(join(root, 'packages/moved/node_modules'), { recursive: true });
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const map = (lines: string[]) => ['# x', '', '## Layout', '', '```', ...lines, '```', ''].join('\n');

  it('accepts a map that matches the tree', () => {
    const markdown = map([
      'apps/        deployables',
      '  api/       the API',
      '  worker/    the worker',
      'packages/    libraries',
      '  core/      the domain',
      'tests/       suites',
      '  e2e/       end to end',
      'docker/      image scripts',
    ]);
    expect(compareLayout(markdown, root)).toEqual({ missingFromMap: [], missingFromDisk: [], problems: [] });
  });

  it('reports a folder missing from the map and a mapped folder missing from disk', () => {
    const markdown = map([
      'apps/        deployables',
      '  api/       the API',
      'packages/    libraries',
      '  core/      the domain',
      '  targets/   the SSRF guard',
      'tests/       suites',
      '  e2e/       end to end',
      'examples/    batch files',
    ]);
    expect(compareLayout(markdown, root)).toEqual({
      missingFromMap: ['apps/worker'],
      missingFromDisk: ['packages/targets', 'examples'],
      problems: [],
    });
  });

  it('reports lines without a description, listed twice or outside a group, and a missing group', () => {
    const markdown = map([
      'apps/',
      '  api/',
      '  api/       again',
      '  worker/    the worker',
      'docker/      image scripts',
      '  entry/     not a group',
      'packages/    libraries',
      '  core/      the domain',
    ]);
    expect(compareLayout(markdown, root)).toEqual({
      missingFromMap: ['tests/e2e'],
      missingFromDisk: [],
      problems: [
        'apps/api/ has no description',
        'apps/api/ is listed twice',
        'entry/ is listed outside apps/, packages/ and tests/',
        'tests/ is not in the layout block',
      ],
    });
  });

  it('fails clearly without a layout block', () => {
    expect(() => parseLayout('# x\n\nno map here\n')).toThrow('no "## Layout" heading');
    expect(() => parseLayout('## Layout\n\ntext only\n')).toThrow('no fenced block');
  });
});
