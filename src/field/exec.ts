// Running the board's diagnostic tools with a timeout: a missing tool is an answer ("not
// installed"), never an exception, because doctor and discovery must work on a half-set-up box.
import { execFile } from 'node:child_process';

export interface ToolResult {
  /** null when the tool could not be started (not installed, not executable). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** ENOENT / EACCES / 'timeout' when it did not run to completion. */
  failure: string | null;
}

export type ToolRunner = (cmd: string, args: string[], timeoutMs?: number) => Promise<ToolResult>;

export const runTool: ToolRunner = (cmd, args, timeoutMs = 10_000) =>
  new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', PAGER: 'cat', SYSTEMD_PAGER: 'cat' } }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr, failure: null });
      const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
      if (typeof e.code === 'string') return resolve({ code: null, stdout, stderr, failure: e.code });
      if (e.killed) return resolve({ code: null, stdout, stderr, failure: 'timeout' });
      resolve({ code: typeof e.code === 'number' ? e.code : 1, stdout, stderr, failure: null });
    });
  });
