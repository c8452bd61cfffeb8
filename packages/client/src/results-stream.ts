import type { ItemView } from '@fleet/contracts';
import { FleetStreamError, printableUrl } from './errors.js';

/**
 * The text of a streamed answer as it comes. A body cut off, or silent for `idleMs`, throws a
 * FleetStreamError; leaving the loop early (break, return) cancels the download.
 */
export async function* textChunks(
  response: Response,
  idleMs: number,
  apiUrl: string,
): AsyncGenerator<string> {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const silent = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new FleetStreamError(`the export from ${printableUrl(apiUrl)} went silent for ${idleMs} ms`),
            ),
          idleMs,
        );
      });
      let read: Awaited<ReturnType<typeof reader.read>>;
      try {
        read = await Promise.race([reader.read(), silent]);
      } catch (error) {
        if (error instanceof FleetStreamError) throw error;
        throw new FleetStreamError(`the export from ${printableUrl(apiUrl)} was cut short`, { cause: error });
      } finally {
        clearTimeout(timer);
      }
      if (read.done) break;
      const text = decoder.decode(read.value, { stream: true });
      if (text !== '') yield text;
    }
    const rest = decoder.decode();
    if (rest !== '') yield rest;
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** JSON Lines → one parsed row per line (an empty line is skipped). */
export async function* jsonRows(chunks: AsyncIterable<string>): AsyncGenerator<ItemView> {
  let buffer = '';
  for await (const chunk of chunks) {
    buffer += chunk;
    let end = buffer.indexOf('\n');
    while (end >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      if (line.trim() !== '') yield JSON.parse(line) as ItemView;
      end = buffer.indexOf('\n');
    }
  }
  if (buffer.trim() !== '') yield JSON.parse(buffer) as ItemView;
}
