// Runs the compiled `vigil` CLI as a real process: exit code and both streams.
import { spawn, type ChildProcess } from 'node:child_process';
import { VIGIL } from '../helpers/daemon';

export interface CliResult { code: number | null; stdout: string; stderr: string }

export function vigil(args: string[], timeoutMs = 30000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VIGIL, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIGIL_SOCKET: '', VIGIL_CONFIG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => void (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => void (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running CLI (events tail -f) whose output the test reads while it runs. */
export function vigilLive(args: string[]): { child: ChildProcess; stdout: () => string; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [VIGIL, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIGIL_SOCKET: '', VIGIL_CONFIG: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => void (stdout += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => void (stderr += c));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, stdout: () => stdout, done };
}
