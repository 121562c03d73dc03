/**
 * Child-process plumbing shared by the benchmark scripts: every child is spawned with an IPC channel and
 * exits when that channel closes, so a crashed or interrupted orchestrator never leaves servers behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const live = new Set<ChildProcess>();

export interface Child<M> {
  proc: ChildProcess;
  /** Resolves with the first message the child sends; rejects if it exits first. */
  ready: Promise<M>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
  /**
   * Sends `message` and resolves with the child's answer to it (see `answerCalls`): a request/response
   * exchange over the IPC channel, for setup steps that must run inside the child.
   */
  call<R>(message: Record<string, unknown>): Promise<R>;
}

interface CallAnswer {
  callId: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}
const isAnswer = (m: unknown): m is CallAnswer => typeof m === 'object' && m !== null && typeof (m as CallAnswer).callId === 'number';

/**
 * Starts `node [nodeArgs] --import tsx bench/<script> [args]` with an IPC channel, in this checkout or, with
 * `checkout`, in another one (bench/ab.ts runs another checkout's server).
 */
export function startChild<M>(script: string, args: string[], nodeArgs: string[] = [], checkout = ROOT): Child<M> {
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', `bench/${script}`, ...args], {
    cwd: checkout,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(proc);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => (live.delete(proc), resolve(code))));
  const ready = new Promise<M>((resolve, reject) => {
    proc.once('message', (m) => resolve(m as M));
    proc.once('error', reject);
    proc.once('exit', (code, signal) => reject(new Error(`bench/${script} exited (code ${code}, signal ${signal}) before reporting`)));
  });
  ready.catch(() => undefined);
  let nextCall = 0;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  proc.on('message', (m) => {
    if (!isAnswer(m)) return;
    const p = pending.get(m.callId);
    if (!p) return;
    pending.delete(m.callId);
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(`bench/${script}: ${m.error}`));
  });
  proc.once('exit', (code, signal) => {
    for (const p of pending.values()) p.reject(new Error(`bench/${script} exited (code ${code}, signal ${signal}) during a call`));
    pending.clear();
  });
  return {
    proc,
    ready,
    exited,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      if (proc.connected) proc.disconnect();
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
    call<R>(message: Record<string, unknown>): Promise<R> {
      const callId = ++nextCall;
      return new Promise<R>((resolve, reject) => {
        pending.set(callId, { resolve: resolve as (v: unknown) => void, reject });
        proc.send({ ...message, callId }, (err) => {
          if (err) {
            pending.delete(callId);
            reject(err);
          }
        });
      });
    },
  };
}

/** In a child: answers `Child.call` messages with `handler`'s result (or its error). */
export function answerCalls(handler: (message: Record<string, unknown>) => Promise<unknown>): void {
  process.on('message', (m) => {
    if (typeof m !== 'object' || m === null || typeof (m as { callId?: unknown }).callId !== 'number') return;
    const { callId, ...message } = m as Record<string, unknown> & { callId: number };
    handler(message).then(
      (result) => process.send?.({ callId, ok: true, result }),
      (err: unknown) => process.send?.({ callId, ok: false, error: (err as Error)?.stack ?? String(err) }),
    );
  });
}

/** Kills every child still running (by its own handle); used on exit and on fatal errors. */
export function killAllChildren(): void {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.clear();
}

/** In a child: exit when the parent goes away. `cleanup` runs first, bounded to 3 s. */
export function exitWithParent(cleanup: () => Promise<void> | void = () => undefined): void {
  let exiting = false;
  const done = () => {
    if (exiting) return;
    exiting = true;
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    Promise.resolve()
      .then(cleanup)
      .catch(() => undefined)
      .finally(() => process.exit(0));
  };
  process.on('disconnect', done);
  process.on('SIGTERM', done);
  process.on('SIGINT', done);
}

/** Reports to the orchestrator; when run by hand (no IPC channel), prints the message as JSON instead. */
export function send(message: unknown): void {
  if (process.send) process.send(message);
  else process.stdout.write(JSON.stringify(message) + '\n');
}
