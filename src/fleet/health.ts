// Builds the retained `health` payload: machine readings (systeminformation, os, statfs) plus
// the daemon's own progress counters. A reading the hardware lacks, or that fails or hangs, is
// null: the fleet must be able to tell "no sensor" from "0 °C". Every probe runs under a
// timeout so one stuck sensor driver cannot stall the health loop.
import fs from 'node:fs/promises';
import os from 'node:os';
import si from 'systeminformation';
import type { AppStatus } from '../app';
import type { Logger } from '../log';
import type { OutboxStats } from './outbox';
import type { HealthCamera, HealthPayload, HealthStage } from './topics';

/** Longest a single probe may take before it counts as missing for this report. */
const PROBE_TIMEOUT_MS = 2000;
/** Readings outside this range come from a broken or absent sensor, not from a real CPU. */
const TEMP_MIN_C = -40;
const TEMP_MAX_C = 150;

export interface HealthSource {
  status(): AppStatus;
  link(): HealthPayload['link'];
  outbox(): OutboxStats;
}

/** The machine readings, injectable so tests can simulate a hung or failing sensor. */
export interface SystemProbes {
  /** Percent busy since the previous call (since boot on the first call). */
  cpuLoad(): Promise<unknown>;
  cpuTemperature(): Promise<unknown>;
  memory(): Promise<{ total: unknown; available: unknown }>;
  statfs(dir: string): Promise<{ blocks: number; bavail: number; bsize: number }>;
}

export const systemProbes: SystemProbes = {
  cpuLoad: async () => (await si.currentLoad()).currentLoad,
  cpuTemperature: async () => (await si.cpuTemperature()).main,
  memory: async () => {
    const m = await si.mem();
    return { total: m.total, available: m.available };
  },
  statfs: (dir) => fs.statfs(dir),
};

export interface HealthContext {
  source: HealthSource;
  dataDir: string;
  deviceId: string;
  version: string;
  bootId: string;
  log: Logger;
  probes?: Partial<SystemProbes>;
  timeoutMs?: number;
}

export class HealthCollector {
  private readonly probes: SystemProbes;
  private readonly timeoutMs: number;

  constructor(private readonly ctx: HealthContext) {
    this.probes = { ...systemProbes, ...ctx.probes };
    this.timeoutMs = ctx.timeoutMs ?? PROBE_TIMEOUT_MS;
  }

  async collect(): Promise<HealthPayload> {
    const { source, dataDir } = this.ctx;
    const [load, temp, mem, disk] = await Promise.all([
      this.probe('cpu_load', () => this.probes.cpuLoad()),
      this.probe('cpu_temperature', () => this.probes.cpuTemperature()),
      this.probe('memory', () => this.probes.memory()),
      this.probe('disk', () => this.probes.statfs(dataDir)),
    ]);
    const status = source.status();
    const outbox = source.outbox();

    const loadPercent = finite(load);
    const total = positive(mem?.total);
    const available = total === null ? null : nonNegative(mem?.available);
    const diskTotal = disk ? disk.blocks * disk.bsize : null;
    const diskFree = disk ? disk.bavail * disk.bsize : null;

    return {
      ts: new Date().toISOString(),
      device_id: this.ctx.deviceId,
      version: this.ctx.version,
      boot_id: this.ctx.bootId,
      uptime_s: status.uptimeS,
      cpu: {
        load_percent: loadPercent === null ? null : round(Math.min(100, Math.max(0, loadPercent)), 1),
        load_avg_1m: loadAvg1m(),
        temperature_c: this.temperature(temp),
      },
      memory: {
        total_bytes: total,
        available_bytes: available,
        used_percent: total !== null && available !== null ? round(((total - available) / total) * 100, 1) : null,
        process_rss_bytes: process.memoryUsage.rss(),
      },
      disk: {
        path: dataDir,
        total_bytes: diskTotal,
        free_bytes: diskFree,
        free_percent: diskTotal && diskFree !== null ? round((diskFree / diskTotal) * 100, 1) : null,
        state: status.retention.state,
      },
      cameras: cameras(status),
      stages: stages(status),
      link: source.link(),
      outbox: {
        depth: outbox.depth,
        bytes: outbox.bytes,
        oldest_ts: outbox.oldestMs === null ? null : new Date(outbox.oldestMs).toISOString(),
        dropped: outbox.dropped,
      },
    };
  }

  /** Runs one probe under the timeout; a failure is expected on some hardware, so it logs at debug. */
  private async probe<T>(name: string, fn: () => Promise<T>): Promise<T | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (err) {
      this.ctx.log.debug({ probe: name, err }, 'health probe failed; reporting null');
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** si reports a missing sensor as null, -1 or NaN depending on platform; all of them mean null. */
  private temperature(v: unknown): number | null {
    const t = finite(v);
    if (t === null || t === -1) return null;
    if (t < TEMP_MIN_C || t > TEMP_MAX_C) {
      this.ctx.log.debug({ reading: t }, 'implausible CPU temperature; reporting null');
      return null;
    }
    return round(t, 1);
  }
}

function detection(status: AppStatus, c: AppStatus['cameras'][number]): HealthCamera['detection'] {
  const d = status.detectors?.find((x) => x.camera === c.camera);
  if (!d) return undefined;
  const k = d.counters;
  return {
    state: d.state, provider: d.provider, model_load_ms: d.loadMs, fps: k?.fps ?? 0,
    inference_ms_p50: k?.inferP50Ms ?? null, inference_ms_p95: k?.inferP95Ms ?? null, frames_in: k?.framesIn ?? 0,
    frames_dropped: (c.counters.tapDropped ?? 0) + (k?.staleDropped ?? 0), inferences: k?.inferences ?? 0,
    restarts: d.restarts, last_cause: d.lastCause,
  };
}

function cameras(status: AppStatus): HealthCamera[] {
  return status.cameras.map((c) => withDetection({
    name: c.camera,
    state: c.state,
    encoder: c.encoder,
    fps_in: c.fpsIn,
    frames_in: c.counters.framesIn,
    frames_written: c.counters.framesOut,
    frames_dropped: c.counters.framesDropped,
    tap_frames: c.counters.tapFrames,
    segments: status.segments.find((s) => s.camera === c.camera)?.segments ?? 0,
    restarts: c.restarts,
    last_cause: c.lastCause,
  }, detection(status, c)));
}

function withDetection(camera: HealthCamera, d: HealthCamera['detection']): HealthCamera {
  return d ? { ...camera, detection: d } : camera;
}

/** The supervisor's stage table as it stands (cameras, fleet, retention). */
function stages(status: AppStatus): HealthStage[] {
  return status.stages.map((s) => ({ name: s.name, state: s.state, restarts: s.restarts, last_cause: s.last_cause }));
}

/** os.loadavg() is [0, 0, 0] on platforms without load averages; only Linux-like hosts have one. */
function loadAvg1m(): number | null {
  if (os.platform() === 'win32') return null;
  const v = finite(os.loadavg()[0]);
  return v === null ? null : round(v, 2);
}

function finite(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function positive(v: unknown): number | null {
  const n = finite(v);
  return n !== null && n > 0 ? n : null;
}

function nonNegative(v: unknown): number | null {
  const n = finite(v);
  return n !== null && n >= 0 ? n : null;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
