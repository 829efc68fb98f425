// Starts real vigild processes (and their camera children) for integration tests, and reads
// what they wrote: the SQLite index and the segment files.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import YAML from 'yaml';
import { callDaemon } from '../../src/cli/client';
import type { AppStatus } from '../../src/app';
import type { SegmentRow } from '../../src/recording/segment-index';

export const VIGILD = path.resolve(__dirname, '../../src/cli/vigild.js');
export const VIGIL = path.resolve(__dirname, '../../src/cli/vigil.js');

export function tmpDir(prefix = 'vigil-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface TestCamera {
  name: string;
  width?: number;
  height?: number;
  fps?: number;
  segment_seconds?: number;
  bitrate_kbps?: number;
  pattern?: string;
  stall_after_s?: number;
  /** Burn the wall-clock overlay into the picture (text for the text detector). */
  overlay?: boolean;
  /** The camera's `detection` block, as in the config file. */
  detection?: Record<string, unknown>;
  /** The camera's `clips` block (automatic triggers). */
  clips?: Record<string, unknown>;
}

/** Writes a config for small, fast test cameras; returns its path. */
export function writeConfig(dir: string, cameras: TestCamera[], extra: Record<string, unknown> = {}): string {
  const doc = {
    device: { id: 'test-dev' },
    data_dir: path.join(dir, 'data'),
    log: { level: 'info' },
    cameras: cameras.map((c) => ({
      name: c.name,
      source: { kind: 'test', pattern: c.pattern ?? 'ball', overlay: c.overlay ?? false },
      video: { width: c.width ?? 320, height: c.height ?? 240, fps: c.fps ?? 30 },
      encoder: { codec: 'h264', bitrate_kbps: c.bitrate_kbps ?? 500, keyframe_interval_s: 1, prefer: 'software' },
      recording: { segment_seconds: c.segment_seconds ?? 4 },
      tap: { fps: 5, width: 160, height: 160 },
      watchdog: { stall_after_s: c.stall_after_s ?? 5 },
      ...(c.detection ? { detection: c.detection } : {}),
      ...(c.clips ? { clips: c.clips } : {}),
    })),
    retention: { min_free_percent: 0, min_free_bytes: '1MB', interval_s: 5 },
    ...extra,
  };
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, YAML.stringify(doc));
  return file;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a truthy value or the timeout passes. */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 30000, everyMs = 200): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

export class Daemon {
  readonly proc: ChildProcess;
  readonly logFile: string;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly configPath: string, readonly dataDir: string, env: NodeJS.ProcessEnv = {}) {
    this.logFile = path.join(path.dirname(configPath), `vigild-${Date.now()}.log`);
    const out = fs.openSync(this.logFile, 'a');
    // Own process group so a test can SIGKILL the daemon and its cameras at once, like a power cut.
    this.proc = spawn(process.execPath, [VIGILD, '--config', configPath], { stdio: ['ignore', out, out], detached: true, env: { ...process.env, ...env } });
    fs.closeSync(out);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => {
      this.exitInfo = { code, signal };
      resolve(this.exitInfo);
    }));
  }

  get socket(): string {
    return path.join(this.dataDir, 'vigil.sock');
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  log(): string {
    return fs.readFileSync(this.logFile, 'utf8');
  }

  async status(): Promise<AppStatus> {
    const res = await callDaemon(this.socket, 'status');
    if (res.status !== 'ok') throw new Error(`status failed: ${JSON.stringify(res.error)}`);
    return res.data as AppStatus;
  }

  async cameraPid(camera: string): Promise<number> {
    return waitFor(`pid of camera ${camera}`, async () => (await this.status()).cameras.find((c) => c.camera === camera)?.pid ?? null);
  }

  /** SIGTERM and wait; returns how long the stop took. */
  async stop(timeoutMs = 15000): Promise<number> {
    const t0 = Date.now();
    if (!this.alive) return 0;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.killGroup(), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    return Date.now() - t0;
  }

  /** SIGKILL of the daemon and every camera process: what a power cut does to the software. */
  async killGroup(): Promise<void> {
    try {
      process.kill(-(this.proc.pid as number), 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
    await this.exited;
  }
}

export function startDaemon(configPath: string, env?: NodeJS.ProcessEnv): Daemon {
  const doc = YAML.parse(fs.readFileSync(configPath, 'utf8')) as { data_dir: string };
  return new Daemon(configPath, path.resolve(path.dirname(configPath), doc.data_dir), env);
}

/** Reads the segment index (read-only; the daemon may still be writing). */
export function readSegments(dataDir: string, camera?: string): SegmentRow[] {
  const file = path.join(dataDir, 'vigil.db');
  if (!fs.existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const rows = db.prepare('SELECT * FROM segments ORDER BY camera, start_ms').all() as SegmentRow[];
    return camera ? rows.filter((r) => r.camera === camera) : rows;
  } finally {
    db.close();
  }
}

/** Processes still alive among `pids`. */
export function alivePids(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}
