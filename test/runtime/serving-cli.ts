/** A `naftiko-run` CLI process as a user runs it (`node dist/cli.js …`): its output so far, waits for text, its exit. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './helpers.js';

export const CLI = path.join(ROOT, 'dist/cli.js');

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A serving CLI: output so far, a wait for text to appear, and the exit. */
export class Serving {
  stdout = '';
  stderr = '';
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  /** `command` runs instead of `node script` (e.g. a wrapper that execs node), with `args` after it */
  constructor(args: readonly string[], env: Record<string, string>, script = CLI, cwd = ROOT, command: readonly [string, ...string[]] = [process.execPath, script]) {
    this.child = spawn(command[0], [...command.slice(1), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr })));
  }
  /** resolves with stdout once `re` matches it; rejects if the process exits first */
  async waitFor(re: RegExp, ms = 10_000): Promise<RegExpMatchArray> {
    const until = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.stdout);
      if (m) return m;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`CLI exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${re}:\n${this.stdout}\n${this.stderr}`);
      if (Date.now() > until) throw new Error(`CLI did not print ${re} within ${ms} ms:\n${this.stdout}\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  stop(): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

