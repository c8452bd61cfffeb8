import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { type CreateBatchBody, createBatchBodySchema, interpolateSteps, zodDetails } from '@fleet/contracts';
import { parseDocument } from 'yaml';
import { CliError, EXIT, usageError } from './cli-error.js';
import { findJsonSyntaxProblem } from './json-syntax.js';

/** Problems shown for one file; a 10,000-item batch with one bad step would otherwise flood. */
const MAX_PROBLEMS = 30;

/** Reads a batch file (`.yaml`/`.yml` as YAML, anything else as JSON), relative to `baseDir`. */
export function readBatchFile(given: string, baseDir: string): unknown {
  const path = isAbsolute(given) ? given : resolve(baseDir, given);
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw usageError(`${given} is a folder, not a batch file`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw usageError(`no such file: ${given}${isAbsolute(given) ? '' : ` (looked in ${baseDir})`}`);
    }
    throw usageError(
      `cannot read ${given}: ${code === 'EACCES' ? 'permission denied' : (error as Error).message}`,
    );
  }
  text = text.replace(/^\uFEFF/, '');
  return /\.ya?ml$/i.test(path) ? parseYaml(text, given) : parseJson(text, given);
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const problem = findJsonSyntaxProblem(text);
    if (!problem) throw usageError(`invalid JSON in ${file}: ${(error as Error).message}`);
    throw usageError(
      `invalid JSON in ${file} at line ${problem.line}, column ${problem.column}: ${problem.message}`,
    );
  }
}

function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const where = error.linePos?.[0];
    const at = where ? ` at line ${where.line}, column ${where.col}` : '';
    const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw usageError(`invalid YAML in ${file}${at}: ${message}`);
  }
  return doc.toJS({ maxAliasCount: 100 });
}

/**
 * The batch as the API will see it, or every problem as `field: message` lines (exit 2): the
 * contract's schema first, then each item's `{{var}}`s filled in as the API plans them.
 */
export function validateBatch(raw: unknown, file: string): CreateBatchBody {
  const parsed = createBatchBodySchema.safeParse(raw);
  const problems = parsed.success ? fillProblems(parsed.data) : zodDetails(parsed.error);
  if (parsed.success && problems.length === 0) return parsed.data;
  const shown = problems.slice(0, MAX_PROBLEMS).map((p) => `  ${p.field || 'the file'}: ${p.message}`);
  if (problems.length > MAX_PROBLEMS) shown.push(`  ... and ${problems.length - MAX_PROBLEMS} more`);
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  throw new CliError([`${file} is not a valid batch (${count}); nothing was sent:`, ...shown], EXIT.usage);
}

interface Problem {
  field: string;
  message: string;
}

function fillProblems(body: CreateBatchBody): Problem[] {
  return body.items.flatMap(
    (vars, index) => interpolateSteps(body.steps, vars, `items[${index}].steps`).problems,
  );
}
