import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { LoggerPort } from '@fleet/core';
import { sleep } from '@fleet/testing';
import { type Closable, runUntilSignal } from './run-until-signal.js';

function harness() {
  const lines: string[] = [];
  const logger: LoggerPort = {
    debug: (_o, msg) => lines.push(`debug ${msg}`),
    info: (_o, msg) => lines.push(`info ${msg}`),
    warn: (_o, msg) => lines.push(`warn ${msg}`),
    error: (_o, msg) => lines.push(`error ${msg}`),
  };
  const exits: number[] = [];
  const signals = new EventEmitter();
  const exited = new Promise<number>((resolve) => signals.once('exit', resolve));
  const exit = (code: number) => {
    exits.push(code);
    signals.emit('exit', code);
  };
  return { lines, logger, exits, exited, signals, exit };
}

function app(close: () => Promise<void>): Closable & { closes: number } {
  const a = {
    closes: 0,
    close: () => {
      a.closes++;
      return close();
    },
  };
  return a;
}

it('closes the app once on SIGTERM and exits 0', async () => {
  const h = harness();
  const a = app(() => sleep(20));
  const started = await runUntilSignal(async () => a, { name: 'demo', graceMs: 1000, ...h });
  expect(started).toBe(a);
  expect(h.exits).toEqual([]);
  h.signals.emit('SIGTERM', 'SIGTERM');
  expect(await h.exited).toBe(0);
  expect(a.closes).toBe(1);
  expect(h.lines).toEqual(['info demo stopping', 'info demo stopped']);
});

it('a SIGTERM while the app starts closes it once it has started, and exits 0', async () => {
  // An app may serve /ready before its start resolves; a signal then once killed the process.
  const h = harness();
  const a = app(() => sleep(10));
  let started!: () => void;
  const starting = new Promise<void>((resolve) => {
    started = resolve;
  });
  const running = runUntilSignal(
    async () => {
      await starting;
      return a;
    },
    { name: 'demo', graceMs: 1000, ...h },
  );
  await sleep(10);
  h.signals.emit('SIGTERM', 'SIGTERM');
  expect(a.closes).toBe(0);
  started();
  expect(await running).toBe(a);
  expect(await h.exited).toBe(0);
  expect(a.closes).toBe(1);
  expect(h.lines).toEqual(['info demo stopping', 'info demo stopped']);
});

it('a second signal exits 1 at once, without closing again', async () => {
  const h = harness();
  const a = app(() => sleep(500));
  await runUntilSignal(async () => a, { name: 'demo', graceMs: 5000, ...h });
  h.signals.emit('SIGINT', 'SIGINT');
  h.signals.emit('SIGINT', 'SIGINT');
  expect(await h.exited).toBe(1);
  expect(a.closes).toBe(1);
  expect(h.lines).toContain('error demo: second signal, exiting now');
});

it('exits 1 when close() rejects or outlasts the grace', async () => {
  const failing = harness();
  await runUntilSignal(async () => app(() => Promise.reject(new Error('redis gone'))), {
    name: 'demo',
    graceMs: 1000,
    ...failing,
  });
  failing.signals.emit('SIGTERM', 'SIGTERM');
  expect(await failing.exited).toBe(1);
  expect(failing.lines).toContain('error demo: shutdown failed');

  const slow = harness();
  await runUntilSignal(async () => app(() => new Promise(() => {})), { name: 'demo', graceMs: 30, ...slow });
  slow.signals.emit('SIGTERM', 'SIGTERM');
  expect(await slow.exited).toBe(1);
  expect(slow.lines).toContain('error demo: shutdown did not finish in time, exiting');
});

it('a start that throws logs "<name> could not start" and exits 1', async () => {
  const h = harness();
  const result = await runUntilSignal(
    async () => {
      throw new Error('EADDRINUSE');
    },
    { name: 'demo', graceMs: 1000, ...h },
  );
  expect(result).toBeUndefined();
  expect(h.exits).toEqual([1]);
  expect(h.lines).toEqual(['error demo could not start']);
});

it('stops as on SIGTERM when the parent process (FLEET_PARENT_PID) is gone, and not before', async () => {
  const h = harness();
  const a = app(() => sleep(10));
  // A real process stands in for `fleet up`; killing it outright is what left apps orphaned.
  const parent = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const parentGone = new Promise((resolve) => parent.once('exit', resolve));
  await runUntilSignal(async () => a, {
    name: 'demo',
    graceMs: 1000,
    parentPid: parent.pid,
    parentCheckMs: 20,
    ...h,
  });
  await sleep(100); // several checks while the parent runs
  expect(a.closes).toBe(0);
  expect(h.exits).toEqual([]);
  parent.kill('SIGKILL');
  await parentGone;
  expect(await h.exited).toBe(0);
  expect(a.closes).toBe(1);
  expect(h.lines).toEqual([
    'warn demo: the process that started it is gone',
    'info demo stopping',
    'info demo stopped',
  ]);
});
