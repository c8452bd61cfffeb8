import type { IncomingMessage } from 'node:http';

// Request helpers of the demo shop: a bounded body reader, cookies, and a small multipart/form-data
// parser (enough for the checkout form: text fields, and each file's name, type and byte size).

export const BODY_LIMIT = 2 * 1024 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The whole body, or HttpError 413 once it passes `limit` (the rest is read and dropped). */
export function readBody(req: IncomingMessage, limit = BODY_LIMIT): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > limit;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () =>
      tooLarge
        ? reject(new HttpError(413, `The request body is larger than ${limit} bytes`))
        : resolve(Buffer.concat(chunks)),
    );
    req.on('error', reject);
  });
}

export function cookies(req: IncomingMessage): Map<string, string> {
  const jar = new Map<string, string>();
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at < 1) continue;
    try {
      jar.set(pair.slice(0, at).trim(), decodeURIComponent(pair.slice(at + 1).trim()));
    } catch {
      // A cookie that is not URI-encoded is ignored, like a missing one.
    }
  }
  return jar;
}

export interface UploadedFile {
  field: string;
  filename: string;
  type: string;
  size: number;
}

export interface Multipart {
  fields: Map<string, string>;
  files: UploadedFile[];
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** Parses a multipart/form-data body; HttpError 400 when it is not one. */
export function parseMultipart(contentType: string | undefined, body: Buffer): Multipart {
  const boundary = /^multipart\/form-data;.*\bboundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(
    contentType ?? '',
  );
  if (!boundary) throw new HttpError(400, 'Expected a multipart/form-data body');
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const result: Multipart = { fields: new Map(), files: [] };
  let at = body.indexOf(delimiter);
  if (at < 0) throw new HttpError(400, 'The multipart body has no parts');
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') return result; // the closing delimiter
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), at);
    const headerEnd = body.indexOf(CRLF2, at);
    if (next < 0 || headerEnd < 0 || headerEnd > next)
      throw new HttpError(400, 'A multipart part is malformed');
    const headers = body.subarray(at, headerEnd).toString('utf8');
    const content = body.subarray(headerEnd + CRLF2.length, next);
    const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1] ?? '';
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) throw new HttpError(400, 'A multipart part has no name');
    const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1];
    if (filename === undefined) result.fields.set(name, content.toString('utf8'));
    else {
      const type = /^content-type:\s*(\S+)\s*$/im.exec(headers)?.[1] ?? 'application/octet-stream';
      result.files.push({ field: name, filename, type, size: content.length });
    }
    at = next + 2;
  }
}
