// Shared plumbing for the benches: machine facts, /proc readings, the 720p30 bench config,
// temp dirs and bounded child processes. Figures are read from /proc rather than from the
// daemon itself so the measurement costs the measured processes nothing.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';

export interface MachineInfo {
  cpu: string;
  nproc: number;
  gstreamer: string;
  node: string;
  kernel: string;
}

/** Every section repeats this, so a figure copied out of the JSON still says where it came from. */
export function machineInfo(): MachineInfo {
  const gst = execFileSync('gst-launch-1.0', ['--version'], { encoding: 'utf8' });
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    nproc: os.availableParallelism(),
    gstreamer: /GStreamer\s+(\S+)/.exec(gst)?.[1] ?? gst.split('\n')[0] ?? 'unknown',
    node: process.version,
    kernel: os.release(),
  };
}

export function progress(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const hi = s[mid] ?? NaN;
  return s.length % 2 === 1 ? hi : ((s[mid - 1] ?? NaN) + hi) / 2;
}

let clkTckCache: number | null = null;

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux we ship, but asked, not assumed. */
export function clkTck(): number {
  if (clkTckCache === null) {
    const v = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    clkTckCache = Number.isFinite(v) && v > 0 ? v : 100;
  }
  return clkTckCache;
}

export interface ProcCpu {
  /** utime + stime of the process itself (all its threads), seconds. */
  cpuS: number;
  userS: number;
  systemS: number;
  /** cutime + cstime: children it has waited for (vigild: the gst-inspect-1.0 registry probe). */
  waitedChildrenS: number;
}

/** CPU time of a live process from /proc/<pid>/stat; null once it is gone. */
export function procCpu(pid: number): ProcCpu | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  // comm (field 2) may contain spaces and parentheses: fields are counted after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const field = (n: number): number => Number(rest[n - 3] ?? NaN);
  const hz = clkTck();
  const userS = field(14) / hz;
  const systemS = field(15) / hz;
  return { cpuS: userS + systemS, userS, systemS, waitedChildrenS: (field(16) + field(17)) / hz };
}

export interface ProcMemory {
  rssMiB: number;
  /** Peak RSS over the process's life (VmHWM). */
  hwmMiB: number;
}

export function procMemory(pid: number): ProcMemory | null {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: round(kb('VmRSS') / 1024, 1), hwmMiB: round(kb('VmHWM') / 1024, 1) };
}

/** What an interrupted bench must still clean up: process groups and temp dirs. */
const liveGroups = new Set<Detached>();
const liveDirs = new Set<string>();

/** For SIGINT/SIGTERM of the bench: detached groups do not get the terminal's Ctrl-C. */
export function cleanUpNow(): void {
  for (const d of liveGroups) d.killGroup();
  for (const dir of liveDirs) fs.rmSync(dir, { recursive: true, force: true });
}

/** Creates a temp dir, runs `fn` in it and removes it whatever happens. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  liveDirs.add(dir);
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
  }
}

export const BENCH_CAMERA = 'front';

/**
 * The 720p30 camera of provisioning/dev.yaml with the software encoder forced, so every
 * machine measures the same x264 pipeline. Retention is relaxed: a nearly full /tmp must not
 * delete the segments a bench is counting.
 */
export function writeBenchConfig(dir: string): { configPath: string; dataDir: string } {
  const dataDir = path.join(dir, 'data');
  const doc = {
    device: { id: 'bench-0001' },
    data_dir: dataDir,
    log: { level: 'info' },
    cameras: [{
      name: BENCH_CAMERA,
      source: { kind: 'test', pattern: 'ball', overlay: true },
      video: { width: 1280, height: 720, fps: 30 },
      encoder: { codec: 'h264', bitrate_kbps: 4000, keyframe_interval_s: 1, prefer: 'software' },
      recording: { segment_seconds: 10 },
    }],
    retention: { min_free_percent: 0, min_free_bytes: '1MB' },
  };
  const configPath = path.join(dir, 'config.yaml');
  fs.writeFileSync(configPath, YAML.stringify(doc));
  return { configPath, dataDir };
}

export const VIGILD = path.resolve(__dirname, '../src/cli/vigild.js');

/** The launch line vigild resolves for the first camera (runId left as the literal RUNID). */
export function printPipeline(configPath: string): string {
  const out = execFileSync(process.execPath, [VIGILD, '--config', configPath, '--print-pipeline'], {
    encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'],
  });
  const line = out.split('\n').find((l) => l.trim() !== '' && !l.startsWith('#'));
  if (!line) throw new Error(`vigild --print-pipeline printed no launch line:\n${out}`);
  return line;
}

/** A process in its own group, so a failed bench can kill it and anything it started. */
export class Detached {
  readonly proc: ChildProcess;
  readonly exited: Promise<void>;
  private done = false;

  constructor(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env) {
    const out = fs.openSync(logFile, 'a');
    this.proc = spawn(cmd, args, { stdio: ['ignore', out, out], detached: true, env });
    fs.closeSync(out);
    liveGroups.add(this);
    this.exited = new Promise((resolve) => {
      const finish = (): void => {
        this.done = true;
        liveGroups.delete(this);
        resolve();
      };
      this.proc.once('exit', finish);
      // A command that cannot be spawned emits 'error' and never 'exit'.
      this.proc.once('error', (err) => {
        progress(`${cmd} could not be started: ${err.message}`);
        finish();
      });
    });
  }

  get pid(): number {
    if (this.proc.pid === undefined) throw new Error('process did not start');
    return this.proc.pid;
  }

  get alive(): boolean {
    return !this.done;
  }

  /** Sends `signal`, waits up to `timeoutMs`, then SIGKILLs the whole group. Returns the ms it took. */
  async stop(signal: NodeJS.Signals, timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    if (!this.alive) return 0;
    this.proc.kill(signal);
    const timer = setTimeout(() => this.killGroup(), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    return Date.now() - t0;
  }

  killGroup(): void {
    if (this.proc.pid === undefined) return; // never started
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch (err) {
      // ESRCH: the group is already gone, which is what we wanted.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
}

/**
 * Polls `fn` until it returns a non-null value; throws after `timeoutMs`, or at once when
 * `failIf` returns a reason (a process that died). A throw from `fn` counts as "not yet"
 * (a socket or database that does not exist yet) and is quoted on timeout.
 */
export async function pollUntil<T>(
  what: string, fn: () => T | null | Promise<T | null>, timeoutMs: number, everyMs: number, failIf: () => string | null = () => null,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    const fatal = failIf();
    if (fatal !== null) throw new Error(`${fatal} while waiting for ${what}`);
    try {
      const v = await fn();
      if (v !== null) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > until) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await sleep(everyMs);
  }
}

export function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch (err) {
    return `(cannot read ${file}: ${String(err)})`;
  }
}
