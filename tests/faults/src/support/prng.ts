// The generator lives in @fleet/testing (the fault proxy draws from it too); re-exported for the corpus.
export { Prng } from '@fleet/testing';

/** The run's seed: `FAULTS_SEED` (a number, or `random`), else a fixed default so CI is repeatable. */
export function runSeed(fallback = 0x5eed_f1ee): number {
  const text = process.env.FAULTS_SEED;
  if (text === undefined || text === '') return fallback;
  if (text === 'random') return Math.floor(Math.random() * 2 ** 32);
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new Error(`FAULTS_SEED must be an integer in [0, 2^32) or "random", not "${text}"`);
  }
  return seed;
}
