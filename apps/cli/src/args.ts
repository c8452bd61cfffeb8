import { parseArgs } from 'node:util';
import { usageError } from './cli-error.js';
import { type Command, type Flags, GLOBAL_OPTIONS, OPTION_TYPES } from './commands/command.js';
import { commandHelp, overview } from './usage.js';

export type CommandLine =
  | { kind: 'help'; text: string }
  | { kind: 'run'; command: Command; args: Record<string, string>; flags: Flags };

const HINT = 'run `pnpm fleet --help` for the commands';

/**
 * The command line → the command to run with its arguments, or the help asked for. Options may
 * stand anywhere (`fleet --api-url X batches list`); each command accepts only its own and the
 * global ones. Every mistake is a usage error (exit 2) naming it, never a stack trace.
 */
export function parseCommandLine(argv: string[], commands: readonly Command[]): CommandLine {
  let values: Flags;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: OPTION_TYPES,
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    throw usageError(describeParseError(error as Error & { code?: string }), HINT);
  }
  const help = values.help === true;
  const [first, second] = positionals;

  if (first === undefined || (first === 'help' && positionals.length === 1)) {
    if (help || first === 'help') return { kind: 'help', text: overview(commands) };
    throw usageError('missing command', HINT);
  }
  if (first === 'help') return helpFor(positionals.slice(1), commands);

  const isGroup = commands.some((c) => c.words.length > 1 && c.words[0] === first);
  const command = commands.find((c) => c.words.every((w, i) => positionals[i] === w));
  if (!command) {
    if (!isGroup) throw usageError(`unknown command "${first}"`, HINT);
    if (second === undefined) {
      if (help) return { kind: 'help', text: overview(commands, first) };
      throw usageError(
        `missing ${first} command: ${subcommands(commands, first)}`,
        `run \`pnpm fleet ${first} --help\``,
      );
    }
    throw usageError(`unknown command "${first} ${second}": ${first} takes ${subcommands(commands, first)}`);
  }
  if (help) return { kind: 'help', text: commandHelp(command) };

  const usage = `usage: ${command.synopsis}`;
  for (const name of Object.keys(values)) {
    if (!GLOBAL_OPTIONS.includes(name) && !command.options.includes(name)) {
      throw usageError(`--${name} is not an option of \`fleet ${command.words.join(' ')}\``, usage);
    }
  }
  const rest = positionals.slice(command.words.length);
  const missing = command.args[rest.length];
  if (missing !== undefined) throw usageError(`missing <${missing}>`, usage);
  if (rest.length > command.args.length) {
    throw usageError(`unexpected argument "${rest[command.args.length]!.slice(0, 100)}"`, usage);
  }
  for (const name of ['api-url', 'api-key', 'notifier-url']) {
    if (values[name] === '') throw usageError(`--${name} needs a value`, usage);
  }
  return {
    kind: 'run',
    command,
    args: Object.fromEntries(command.args.map((name, i) => [name, rest[i]!])),
    flags: values,
  };
}

function helpFor(words: string[], commands: readonly Command[]): CommandLine {
  const command = commands.find(
    (c) => c.words.length === words.length && c.words.every((w, i) => words[i] === w),
  );
  if (command) return { kind: 'help', text: commandHelp(command) };
  if (words.length === 1 && commands.some((c) => c.words[0] === words[0] && c.words.length > 1)) {
    return { kind: 'help', text: overview(commands, words[0]) };
  }
  throw usageError(`unknown command "${words.join(' ').slice(0, 100)}"`, HINT);
}

function subcommands(commands: readonly Command[], group: string): string {
  return commands
    .filter((c) => c.words[0] === group)
    .map((c) => c.words[1])
    .join(', ');
}

/**
 * util.parseArgs' messages, shortened. Only the option's name is ever repeated, never what
 * followed it: a mistyped `--apikey=<key>` must not print the key.
 */
function describeParseError(error: Error & { code?: string }): string {
  const name = /'(-{1,2}[^'\s=]+)/.exec(error.message)?.[1] ?? 'an option';
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      // Fleet's options are all long: a short one is most likely an id that starts with '-'
      // (batches made before ids stopped doing so), which goes after `--`.
      return name.startsWith('--')
        ? `unknown option ${name}`
        : `unknown option ${name} (an argument that starts with "-" goes after --, as in \`fleet batches show -- -Ab3…\`)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing/.test(error.message)
        ? `${name} needs a value`
        : /does not take an argument/.test(error.message)
          ? `${name} takes no value`
          : /ambiguous/.test(error.message)
            ? `${name} needs a value (one that starts with "-" is written ${name}=-...)`
            : `${name}: bad value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return 'unexpected argument';
    default:
      return 'cannot read the command line';
  }
}
