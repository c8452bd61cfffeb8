import type { Route } from '../routes.js';

// What the corpus is made of: the shots the test sends, and what building them needs to know.

export type Scenario =
  | 'fields and types'
  | 'JSON and encodings'
  | 'paths, queries, methods, headers'
  | 'raw HTTP';

export interface Shot {
  id: number;
  scenario: Scenario;
  /** What was done, for the report: "wrong type at items[0]", "CL larger than the body", ... */
  kind: string;
  route: string;
  /** Sent through node:http, or as bytes on a socket. */
  transport: 'http' | 'raw';
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
  raw?: Buffer[];
  /** The server may rightly not answer (a body it never gets the end of, a socket it drops). */
  mayGoUnanswered?: boolean;
  timeoutMs?: number;
  /** Raw shots: half-close the socket after the bytes. */
  end?: boolean;
}

export interface CorpusContext {
  routes: Route[];
  /** A batch of acme's, and one of acme's the corpus may cancel. */
  batchId: string;
  cancelBatchId: string;
  artifactId: string;
  queueName: string;
  port: number;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
