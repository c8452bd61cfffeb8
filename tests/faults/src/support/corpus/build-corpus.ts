import type { Prng } from '../prng.js';
import { baseline } from './baseline.js';
import { bodyShots } from './body-mutations.js';
import { methodAndHeaderShots } from './methods-and-headers.js';
import { pathShots } from './paths.js';
import { rawShots } from './raw-http.js';
import { RouteShots } from './route-shots.js';
import type { CorpusContext, Shot } from './shot.js';

/**
 * Builds the corpus for `routes`; the same seed and routes give the same shots. Per route (HEAD
 * aside): its valid request, then path and query garbage, an odd method and header mutations, then
 * body shots; after every route, the raw HTTP. The draws happen in this order: changing it changes
 * what a seed names.
 */
export function buildCorpus(c: CorpusContext, rng: Prng): Shot[] {
  const shots: Shot[] = [];
  const add = (shot: Omit<Shot, 'id'>) => shots.push({ id: shots.length + 1, ...shot });
  for (const route of c.routes.filter((r) => r.method !== 'HEAD')) {
    const r = new RouteShots(route, baseline(route, c), add);
    r.request('fields and types', 'the valid request');
    pathShots(r, rng);
    methodAndHeaderShots(r, rng);
    bodyShots(r, rng);
  }
  for (const shot of rawShots(c)) add(shot);
  return shots;
}
