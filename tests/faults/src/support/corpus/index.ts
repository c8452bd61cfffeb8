/**
 * The hostile corpus for the API: mutations of one valid request per route (every route the app
 * registered, so a new route gets its share), drawn with a seeded PRNG so a seed names a corpus.
 * One file per kind of hostile input, each with its garbage and the shots it makes of a route:
 * path and query garbage (paths.ts), methods and headers (methods-and-headers.ts), JSON bodies
 * (body-values.ts, json-surgery.ts, body-mutations.ts), raw HTTP (raw-http.ts). baseline.ts holds
 * the valid request of each route, route-shots.ts how a shot varies it, build-corpus.ts the order
 * the draws happen in.
 */
export { buildCorpus } from './build-corpus.js';
export type { CorpusContext, Scenario, Shot } from './shot.js';
