import { csvList, flag } from '@fleet/config';
import { ALLOWED_TARGET_EXAMPLES, allowedTargetProblem } from './target-policy.js';

export interface TargetSettings {
  blockPrivateTargets: boolean;
  allowedTargets: string[];
}

/** BLOCK_PRIVATE_TARGETS and ALLOWED_TARGETS: the worker and the launcher read both. */
export const targetSchema = {
  blockPrivateTargets: flag({
    env: 'BLOCK_PRIVATE_TARGETS',
    default: true,
    doc: 'Refuse browser requests to loopback, private, link-local, CGNAT, multicast and reserved addresses (and names resolving to them): a goto fails with TARGET_BLOCKED; the launcher also refuses such requests from its browsers (redirects, subresources). Set the same on the launcher and every worker.',
  }),
  allowedTargets: csvList({
    env: 'ALLOWED_TARGETS',
    default: [],
    doc: `Exceptions to BLOCK_PRIVATE_TARGETS, comma-separated: host, host:port or address range (e.g. ${ALLOWED_TARGET_EXAMPLES}). Prefer host:port: a bare 127.0.0.1 also opens the local DevTools and WebDriver ports to pages.`,
    items: (entry) => allowedTargetProblem(entry),
  }),
};
