// The contract of one `vigil` CLI verb. The dispatcher (vigil.ts) parses global flags, builds
// the context and runs the verb; each verb lives in its own file under cli/verbs/ and returns
// an exit code. Verbs that need the daemon call ctx.call(); DaemonUnreachable thrown from it is
// turned into exit 3 by the dispatcher.
import type { CommandResponse } from '../control/registry';

export const EXIT = { ok: 0, commandError: 1, usage: 2, unreachable: 3, checkFailed: 4 } as const;

export interface CliContext {
  /** --json: machine-readable output on stdout, nothing else there. */
  json: boolean;
  /** Sends a command over the local socket. */
  call(command: string, args?: unknown): Promise<CommandResponse>;
  /** --config PATH or the default config file in use (may be absent). */
  configPath: string | null;
  out(text: string): void;
  err(text: string): void;
}

export interface CliVerb {
  name: string;
  /** One line for the usage screen, e.g. "clips list|create|export|delete". */
  usage: string;
  summary: string;
  run(argv: string[], ctx: CliContext): Promise<number>;
}

/** Thrown by a verb for bad arguments: the dispatcher prints it with the verb's usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
