import { NonRetryableError } from '@fleet/core';
import { errorText } from '../driver-errors.js';
import { elementRef } from '../page-queries.js';
import type { StepContext } from '../step-actions.js';
import { quoted, type StepSpec, stepInputInvalid, waitForElement } from './elements.js';

// The bytes travel as a script argument and become a File in the page: no path on the worker or on
// the browser's host is ever used (a profile's browser may run on another machine, and a path
// would let a batch read that machine's files).
const UPLOAD_SCRIPT = `
var input = arguments[0], base64 = arguments[1], filename = arguments[2], type = arguments[3];
if (!input || input.tagName !== 'INPUT' || String(input.type).toLowerCase() !== 'file') {
  return { refused: input ? '<' + input.tagName.toLowerCase() + (input.type ? ' type=' + input.type : '') + '>' : 'nothing' };
}
if (input.disabled) return { refused: 'a disabled input' };
var binary = atob(base64), bytes = new Uint8Array(binary.length);
for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
var transfer = new DataTransfer();
transfer.items.add(new File([bytes], filename, { type: type }));
input.files = transfer.files;
input.dispatchEvent(new Event('input', { bubbles: true }));
input.dispatchEvent(new Event('change', { bubbles: true }));
return { size: input.files[0].size };`;

/** The stored bytes of a batch file, or STEP_INPUT_INVALID when the job or the store lacks it. */
async function batchFile(
  name: string,
  ctx: StepContext,
): Promise<{ bytes: Uint8Array; filename: string; type: string }> {
  // Own entries only: a file named "constructor" must not find Object.prototype's.
  const ref = ctx.files && Object.hasOwn(ctx.files, name) ? ctx.files[name] : undefined;
  if (ref === undefined) {
    throw stepInputInvalid(`upload names file "${name}", which is not among the batch's files`);
  }
  const stored = await ctx.store.get(ref.artifactId);
  if (stored === null) {
    throw stepInputInvalid(
      `the batch's file "${name}" is no longer stored (expired or removed): submit the batch again`,
    );
  }
  return { bytes: stored.bytes, filename: ref.filename, type: ref.type };
}

/** `upload`: sets a batch file on an `<input type="file">`, firing input and change as a pick does. */
export async function upload(spec: StepSpec<'upload'>, ctx: StepContext): Promise<void> {
  const file = await batchFile(spec.file, ctx);
  const input = await waitForElement(spec.selector, ctx);
  const base64 = Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength).toString(
    'base64',
  );
  let answer: { refused: string } | { size: number };
  try {
    answer = (await ctx.session.executeScript(UPLOAD_SCRIPT, [
      elementRef(input),
      base64,
      file.filename,
      file.type,
    ])) as typeof answer;
  } catch (error) {
    // WebdriverIO's message of a failed request may end with the request's arguments (the file's
    // bytes): keep its first line only, so no log of the error's cause carries the file.
    const bare = new Error(errorText(error));
    bare.name = error instanceof Error ? error.name : 'Error';
    throw bare;
  }
  if ('refused' in answer) {
    throw new NonRetryableError(
      'STEP_FAILED',
      `${quoted(spec.selector)} is ${answer.refused}, not an enabled <input type="file">`,
    );
  }
}
