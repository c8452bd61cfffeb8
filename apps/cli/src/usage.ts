import type { Command } from './commands/command.js';
import { DEFAULT_API_URL, DEFAULT_NOTIFIER_URL } from './settings.js';

const SETTINGS = `settings (a flag, else the env var, else .fleet/up.json that \`pnpm start\` writes, or FLEET_UP_FILE):
  --api-url URL        FLEET_API_URL        default ${DEFAULT_API_URL}
  --api-key KEY        FLEET_API_KEY
  --notifier-url URL   FLEET_NOTIFIER_URL   default ${DEFAULT_NOTIFIER_URL}`;

const EXITS =
  'exit codes: 0 done; 1 refused by the API, or failed items; 2 bad input, nothing sent; 3 fleet not reachable';

/** `fleet --help`, or the commands of one group (`fleet batches --help`). */
export function overview(commands: readonly Command[], group?: string): string {
  const shown = commands.filter((c) => group === undefined || c.words[0] === group);
  const width = Math.max(
    ...shown.map(
      (c) => c.words.join(' ').length + (c.args.length ? c.args.map((a) => ` <${a}>`).join('').length : 0),
    ),
  );
  const lines = shown.map((c) => {
    const name = `${c.words.join(' ')}${c.args.map((a) => ` <${a}>`).join('')}`;
    return `  ${name.padEnd(width)}   ${c.summary}`;
  });
  return [
    group ? `usage: pnpm fleet ${group} <command> [options]` : 'usage: pnpm fleet <command> [options]',
    '',
    group ? `${group} commands:` : 'commands:',
    ...(group === undefined
      ? [`  ${'up'.padEnd(width)}   the whole fleet on this machine (what \`pnpm start\` runs; --help)`]
      : []),
    ...lines,
    '',
    SETTINGS,
    '',
    '`pnpm fleet <command> --help` shows its options; --json prints JSON instead of tables.',
    EXITS,
  ].join('\n');
}

/** `fleet <command> --help`. */
export function commandHelp(command: Command): string {
  return [`usage: ${command.synopsis}`, '', command.summary, '', SETTINGS, '', EXITS].join('\n');
}
