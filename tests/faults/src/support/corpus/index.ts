/**
 * The hostile corpus for the API: mutations of one valid request per route (every route the app
 * registered, so a new route gets its share), drawn with a seeded PRNG so a seed names a corpus.
 * One file per kind of hostile input: path and query garbage (paths.ts), methods and headers,
 * JSON bodies (body-values.ts, json-surgery.ts, body-mutations.ts), raw HTTP; baseline.ts holds
 * the valid request each mutation starts from, build-corpus.ts the order they are drawn in.
 */
export { buildCorpus } from './build-corpus.js';
export type { CorpusContext, Scenario, Shot } from './shot.js';
