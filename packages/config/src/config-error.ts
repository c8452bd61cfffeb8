/** One thing wrong with the configuration. */
export interface ConfigProblem {
  /** Config property path (`redisUrl`, `multilogin.apiUrl`); '' when the problem is not one setting's. */
  key: string;
  /** The environment variable that sets it, when it has one. */
  env: string | undefined;
  /** What is wrong and what to do; never contains a sensitive value. */
  message: string;
}

/** The configuration cannot be used; `problems` lists every reason at once, not just the first. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(renderProblems(problems));
    this.problems = problems;
  }
}

function renderProblems(problems: readonly ConfigProblem[]): string {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const lines = problems.map((p) => {
    const name = p.env && p.key ? `${p.env} (${p.key})` : p.env || p.key || 'configuration';
    return `  - ${name}: ${p.message}`;
  });
  return [
    `Invalid configuration (${count}):`,
    ...lines,
    'Fix the environment variables (or the FLEET_CONFIG file) named above and start again.',
  ].join('\n');
}
