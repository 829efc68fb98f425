// ClipBuilder: runs remux-worker.js as a child process per clip, bounded in time. The child has
// its own process group so a timeout kills the worker and its gst-launch together; the daemon
// only waits on a pipe, so recording never shares a thread with clip building.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { RemuxJob, RemuxResult } from './remux-worker';

/** A 300 s clip remuxes in well under 2 s here; the budget leaves room for a slow SD card. */
const BASE_TIMEOUT_MS = 30_000;
const TIMEOUT_PER_CLIP_SECOND_MS = 200;

export const WORKER_SCRIPT = path.join(__dirname, 'remux-worker.js');

export interface ClipBuilderOptions {
  /** Fixed timeout (tests); otherwise BASE + per clip second. */
  timeoutMs?: number;
  script?: string;
}

export class ClipBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClipBuildError';
  }
}

export class ClipBuilder {
  private readonly children = new Set<number>();

  constructor(private readonly opts: ClipBuilderOptions = {}) {}

  timeoutFor(job: RemuxJob): number {
    return this.opts.timeoutMs ?? BASE_TIMEOUT_MS + TIMEOUT_PER_CLIP_SECOND_MS * Math.ceil((job.endMs - job.startMs) / 1000);
  }

  build(job: RemuxJob): Promise<RemuxResult> {
    const timeoutMs = this.timeoutFor(job);
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [this.opts.script ?? WORKER_SCRIPT, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const pid = child.pid as number;
      this.children.add(pid);
      let out = '';
      let err = '';
      let timedOut = false;
      child.stdout.setEncoding('utf8').on('data', (c: string) => void (out += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => void (err = (err + c).slice(-2000)));
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(pid);
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new ClipBuildError(`cannot start the remux worker: ${e.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.children.delete(pid);
        if (timedOut) {
          fs.rmSync(`${job.out}.part`, { force: true });
          reject(new ClipBuildError(`build timed out after ${timeoutMs} ms and was killed`));
          return;
        }
        const line = out.trim().split('\n').pop() ?? '';
        let parsed = null as { ok: boolean; result?: RemuxResult; error?: string } | null;
        try {
          parsed = JSON.parse(line) as { ok: boolean; result?: RemuxResult; error?: string };
        } catch {
          parsed = null;
        }
        if (parsed?.ok && parsed.result) resolve(parsed.result);
        else reject(new ClipBuildError(parsed?.error ?? `remux worker exited with ${code ?? signal}: ${err.trim() || 'no output'}`));
      });
    });
  }

  /** Kills every running build (daemon stop); their clips are rebuilt at the next start. */
  killAll(): void {
    for (const pid of this.children) killGroup(pid);
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}
