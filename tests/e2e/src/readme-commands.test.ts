import { readmeCommands } from './readme-commands.js';

// The extraction the README tour relies on: a command it missed could never fail the tour.
it('finds fenced shell lines and inline pnpm/fleet commands, continuations joined, comments dropped', () => {
  const markdown = [
    '## Start',
    '',
    '```sh',
    'export A=1 \\',
    '  B=2   # two at once',
    "echo 'a # not a comment' # a comment",
    '# only a comment',
    '```',
    '',
    '```json',
    '{"pnpm": "not a command"}',
    '```',
    '',
    '## Use',
    'Run `pnpm fleet submit x.json',
    '  --watch`, then `pnpm fleet batches results <id> --out r.jsonl` (`--csv',
    '--out r.csv` as CSV). `FLEET_X=1 pnpm test` too; `fleet` alone and `pnpm` alone are words.',
  ].join('\n');
  expect(readmeCommands(markdown)).toEqual([
    { text: 'export A=1 B=2', section: 'Start' },
    { text: "echo 'a # not a comment'", section: 'Start' },
    { text: 'pnpm fleet submit x.json --watch', section: 'Use' },
    { text: 'pnpm fleet batches results <id> --out r.jsonl', section: 'Use' },
    { text: 'pnpm fleet batches results <id> --csv --out r.csv', section: 'Use' },
    { text: 'FLEET_X=1 pnpm test', section: 'Use' },
  ]);
});
