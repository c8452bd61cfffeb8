/**
 * Where a JSON text first goes wrong, as a line and column. Node 20's JSON.parse says "at position
 * N" for some mistakes and nothing for others, so a file that fails it is read again by this small
 * strict scanner (RFC 8259) only to point at the mistake.
 */
export interface JsonSyntaxProblem {
  line: number;
  column: number;
  message: string;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;

export function findJsonSyntaxProblem(text: string): JsonSyntaxProblem | null {
  let at = 0;
  const describe = (offset: number) =>
    offset >= text.length ? 'the end of the file' : JSON.stringify(text[offset]);
  const stop = (message: string, offset = at): never => {
    throw new Stop(offset, message);
  };
  const space = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  };
  const expect = (char: string, what: string) => {
    space();
    if (text[at] !== char) stop(`expected ${what}, found ${describe(at)}`);
    at++;
  };
  const string = () => {
    const start = at;
    at++; // the opening quote
    for (;;) {
      if (at >= text.length) stop('a string is not closed', start);
      const c = text[at]!;
      if (c === '"') return void at++;
      if (c === '\\') {
        const next = text[at + 1];
        if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) at += 6;
        else if (next !== undefined && '"\\/bfnrt'.includes(next)) at += 2;
        else stop('a bad escape in a string');
      } else if (c < ' ') {
        stop('a line break or control character inside a string (write \\n)');
      } else {
        at++;
      }
    }
  };
  const value = (depth: number): void => {
    if (depth > 500) stop('nested too deeply');
    space();
    const c = text[at];
    if (c === '{') {
      at++;
      space();
      if (text[at] === '}') return void at++;
      for (;;) {
        space();
        if (text[at] !== '"') {
          stop(
            text[at] === '}'
              ? 'a comma before "}" (JSON allows no trailing comma)'
              : `expected a "quoted" property name, found ${describe(at)}`,
          );
        }
        string();
        expect(':', '":" after the property name');
        value(depth + 1);
        space();
        if (text[at] === ',') {
          at++;
          continue;
        }
        if (text[at] === '}') return void at++;
        stop(`expected "," or "}" after a property value, found ${describe(at)}`);
      }
    }
    if (c === '[') {
      at++;
      space();
      if (text[at] === ']') return void at++;
      for (;;) {
        space();
        if (text[at] === ']') stop('a comma before "]" (JSON allows no trailing comma)');
        value(depth + 1);
        space();
        if (text[at] === ',') {
          at++;
          continue;
        }
        if (text[at] === ']') return void at++;
        stop(`expected "," or "]" after a list element, found ${describe(at)}`);
      }
    }
    if (c === '"') {
      string();
      return;
    }
    for (const pattern of [NUMBER, LITERAL]) {
      pattern.lastIndex = at;
      if (pattern.test(text)) {
        at = pattern.lastIndex;
        return;
      }
    }
    stop(at >= text.length ? 'the file ends where a value should be' : `unexpected ${describe(at)}`);
  };

  try {
    value(0);
    space();
    if (at < text.length) stop(`unexpected ${describe(at)} after the end of the JSON value`);
    return null;
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    const before = text.slice(0, error.offset).split('\n');
    return { line: before.length, column: before.at(-1)!.length + 1, message: error.message };
  }
}
