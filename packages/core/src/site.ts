import { type ItemJob, nestedLists, type Step } from '@fleet/contracts';

/**
 * The site an item visits, for politeness per site (README "Sharing a fleet"): the host (with its
 * port when not the scheme's default) of its first `goto`, nested steps included, in step order.
 * null for an item without one and for a scenario item (its code navigates where it likes).
 */
export function siteOf(job: Pick<ItemJob, 'steps'>): string | null {
  const url = firstGoto(job.steps ?? []);
  if (url === null) return null;
  try {
    return new URL(url).host.toLowerCase() || null;
  } catch {
    return null;
  }
}

function firstGoto(steps: Step[]): string | null {
  for (const step of steps) {
    if ('goto' in step && typeof step.goto === 'string') return step.goto;
    for (const [, nested] of nestedLists(step)) {
      const found = firstGoto(nested);
      if (found !== null) return found;
    }
  }
  return null;
}
