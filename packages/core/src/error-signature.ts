import { createHash } from 'node:crypto';

/**
 * The shape of an error message: URLs, quoted strings and numbers replaced by placeholders, so
 * `no element matched "#row-17" within 5000 ms` and `… "#row-18" …` read the same.
 */
export function messageShape(message: string): string {
  return message
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>)]+/gi, '<url>')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|“[^”]*”/g, '<str>')
    .replace(/\d+(?:[.,]\d+)*/g, '<n>')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 500);
}

/**
 * A failure's signature: code, step path (the loop iteration `#k` dropped) and message shape,
 * hashed to 16 hex characters. Equal signatures are "the same failure" for evidence dedupe.
 */
export function errorSignature(code: string, path: string | null, message: string): string {
  const where = (path ?? '').replace(/#\d+/g, '');
  return createHash('sha256')
    .update(`${code}\n${where}\n${messageShape(message)}`)
    .digest('hex')
    .slice(0, 16);
}
