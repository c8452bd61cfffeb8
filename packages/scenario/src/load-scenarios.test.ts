/**
 * The SCENARIOS_DIR loader on real modules (fixtures/): folders with an index and single files
 * load (shared "_" folders and other files are skipped); a module that throws at import, one that
 * is not a valid scenario, and a repeated name@version are refused with the file named.
 */
import { join } from 'node:path';
import { loadScenarios, ScenarioLoadError, scenarioFiles } from './index.js';

const fixture = (name: string) => join(__dirname, 'fixtures', name);

describe('loadScenarios', () => {
  it('loads every folder index and single file, with the input as JSON Schema', async () => {
    expect(scenarioFiles(fixture('good')).map((f) => f.slice(fixture('good').length + 1))).toEqual([
      'folder-one/index.ts',
      'single-file.ts',
    ]);
    const loaded = await loadScenarios(fixture('good'));
    expect(loaded.map((s) => s.id)).toEqual(['folder-one@1.2.0', 'single-file@3']);
    expect(loaded[0]?.inputSchema).toMatchObject({
      type: 'object',
      properties: { who: { type: 'string', minLength: 1 }, times: { type: 'integer', default: 1 } },
      required: ['who'],
    });
    const run = loaded[0]!.definition.run;
    await expect(run({ input: { who: 'fleet', times: 2 } } as never)).resolves.toEqual({
      text: 'hello fleethello fleet',
    });
  });

  it('names the module that does not load', async () => {
    const error = await loadScenarios(fixture('broken')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScenarioLoadError);
    expect((error as ScenarioLoadError).file).toBe(join(fixture('broken'), 'throws.ts'));
    expect((error as Error).message).toMatch(/throws\.ts: does not load: boom at import/);
  });

  it('refuses a module that is not a scenario, listing what is wrong', async () => {
    const error = await loadScenarios(fixture('invalid')).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/bad\.ts: is not a valid scenario/);
    expect((error as Error).message).toMatch(/name: /);
    expect((error as Error).message).toMatch(/version: /);
    expect((error as Error).message).toMatch(/run: must be a function/);
    expect((error as Error).message).toMatch(/input: must be an object schema/);
  });

  it('refuses a repeated name@version, naming both files', async () => {
    const error = await loadScenarios(fixture('duplicate')).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/b\.ts: repeats twin@1, already loaded from a\.ts/);
  });

  it('refuses a directory that is not there', async () => {
    await expect(loadScenarios(fixture('missing'))).rejects.toThrow(/cannot read the directory/);
  });
});
