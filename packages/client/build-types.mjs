// The build's last step: the declarations of @fleet/contracts (which is not published) go into
// dist/contracts, and the client's declarations import them from there, so a project outside this
// repository gets the full types from dist alone (zod, a type-only need of those, aside).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dist = new URL('./dist/', import.meta.url).pathname;
for (const name of readdirSync(dist)) {
  if (!name.endsWith('.d.ts')) continue;
  const file = join(dist, name);
  writeFileSync(file, readFileSync(file, 'utf8').replaceAll("'@fleet/contracts'", "'./contracts/index.js'"));
}
