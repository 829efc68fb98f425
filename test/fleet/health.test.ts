// HealthCollector on this machine: real systeminformation, os and statfs readings, exact field
// names per HealthPayload, camera and stage mapping from AppStatus, and null (never a made-up
// value) for a probe that fails, hangs or reports a sentinel.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { test } from 'node:test';
import pino from 'pino';
import si from 'systeminformation';
import type { AppStatus } from '../../src/app';
import type { Logger } from '../../src/log';
import { HealthCollector, type HealthSource, type SystemProbes } from '../../src/fleet/health';
import type { OutboxStats } from '../../src/fleet/outbox';
import type { HealthPayload } from '../../src/fleet/topics';
import { tmpDir } from '../helpers/daemon';

interface LogLine { level: number; msg: string; [k: string]: unknown }

const COUNTERS = { framesIn: 900, framesOut: 899, framesDropped: 1, framesDuplicated: 0, tapFrames: 150, recQueueFrames: 2 };

function appStatus(lastError: string | null = null): AppStatus {
  return {
    version: '0.1.0', device: 'cam-0001', pid: process.pid, startedAt: Date.now() - 42_000, uptimeS: 42,
    cameras: [
      { camera: 'front', state: 'recording', pid: 1234, encoder: 'x264enc', runId: 'r1', startedAt: 1, restarts: 0, lastCause: null, fpsIn: 30, counters: COUNTERS, segmentsOpened: 4, segmentsClosed: 3, degraded: false },
      { camera: 'back', state: 'restarting', pid: null, encoder: 'x264enc', runId: null, startedAt: null, restarts: 2, lastCause: 'stalled', fpsIn: 0, counters: { ...COUNTERS, framesIn: 0, framesOut: 0, framesDropped: 0, tapFrames: 0 }, segmentsOpened: 0, segmentsClosed: 0, degraded: false },
    ],
    detectors: [],
    retention: { state: 'ok', disk: null, deletedSegments: 0, deletedBytes: 0, lastError },
    segments: [{ camera: 'front', segments: 3, bytes: 3000, oldest_ms: 1, newest_ms: 2 }],
    fleet: null,
    // What the supervisor reports; health maps it as it is.
    stages: [
      { name: 'camera:front', state: 'recording', critical: true, healthy: true, restarts: 0, last_cause: null, since: 1 },
      { name: 'camera:back', state: 'restarting', critical: true, healthy: false, restarts: 2, last_cause: 'stalled', since: 1 },
      { name: 'retention', state: lastError ? 'failed' : 'running', critical: true, healthy: !lastError, restarts: 0, last_cause: lastError, since: 1 },
    ],
    supervisor: null,
  };
}

const LINK: HealthPayload['link'] = { state: 'connected', connected_since: '2025-01-01T00:00:00.000Z', reconnects: 1, last_error: null };
const OUTBOX: OutboxStats = { depth: 3, bytes: 600, oldestMs: Date.UTC(2025, 0, 1), dropped: 5, droppedTelemetry: 4, droppedEvents: 1 };

function collector(opts: { probes?: Partial<SystemProbes>; timeoutMs?: number; lastError?: string | null } = {}): { health: HealthCollector; dir: string; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log: Logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  const dir = tmpDir('vigil-health-');
  const source: HealthSource = { status: () => appStatus(opts.lastError ?? null), link: () => LINK, outbox: () => OUTBOX };
  const health = new HealthCollector({ source, dataDir: dir, deviceId: 'cam-0001', version: '0.1.0', bootId: 'boot-1', log, probes: opts.probes, timeoutMs: opts.timeoutMs });
  return { health, dir, lines };
}

const sortedKeys = (o: object): string[] => Object.keys(o).sort();

test('collect() on this machine: exact field names and real readings', async (t) => {
  const { health, dir } = collector();
  const raw = await si.cpuTemperature();
  t.diagnostic(`systeminformation cpuTemperature() here: ${JSON.stringify(raw)}`);
  const h = await health.collect();
  t.diagnostic(`cpu ${JSON.stringify(h.cpu)} memory ${JSON.stringify(h.memory)}`);

  assert.deepEqual(sortedKeys(h), ['boot_id', 'cameras', 'cpu', 'device_id', 'disk', 'link', 'memory', 'outbox', 'stages', 'ts', 'uptime_s', 'version']);
  assert.deepEqual(sortedKeys(h.cpu), ['load_avg_1m', 'load_percent', 'temperature_c']);
  assert.deepEqual(sortedKeys(h.memory), ['available_bytes', 'process_rss_bytes', 'total_bytes', 'used_percent']);
  assert.deepEqual(sortedKeys(h.disk), ['free_bytes', 'free_percent', 'path', 'state', 'total_bytes']);
  assert.deepEqual(sortedKeys(h.outbox), ['bytes', 'depth', 'dropped', 'oldest_ts']);
  for (const c of h.cameras) assert.deepEqual(sortedKeys(c), ['encoder', 'fps_in', 'frames_dropped', 'frames_in', 'frames_written', 'last_cause', 'name', 'restarts', 'segments', 'state', 'tap_frames']);
  for (const s of h.stages) assert.deepEqual(sortedKeys(s), ['last_cause', 'name', 'restarts', 'state']);

  assert.deepEqual([h.device_id, h.version, h.boot_id, h.uptime_s], ['cam-0001', '0.1.0', 'boot-1', 42]);
  assert.ok(Math.abs(Date.parse(h.ts) - Date.now()) < 10_000);

  assert.equal(typeof h.cpu.load_percent, 'number');
  assert.ok(h.cpu.load_percent !== null && h.cpu.load_percent >= 0 && h.cpu.load_percent <= 100);
  assert.ok(h.cpu.load_avg_1m !== null && h.cpu.load_avg_1m >= 0);
  const temp = h.cpu.temperature_c;
  assert.ok(temp === null || (temp >= -40 && temp <= 150), `temperature ${temp}`);
  if (raw.main === null || !Number.isFinite(raw.main) || raw.main === -1) assert.equal(temp, null, 'no sensor here: null, not 0');

  assert.equal(h.memory.total_bytes, os.totalmem());
  assert.ok(h.memory.available_bytes !== null && h.memory.available_bytes > 0 && h.memory.available_bytes <= os.totalmem());
  assert.ok(h.memory.used_percent !== null && h.memory.used_percent > 0 && h.memory.used_percent < 100);
  assert.ok(h.memory.process_rss_bytes > 0);

  const st = fs.statfsSync(dir);
  assert.equal(h.disk.path, dir);
  assert.equal(h.disk.total_bytes, st.blocks * st.bsize);
  assert.ok(h.disk.free_bytes !== null && h.disk.free_bytes > 0 && h.disk.free_bytes <= st.blocks * st.bsize);
  assert.ok(h.disk.free_percent !== null && h.disk.free_percent > 0 && h.disk.free_percent <= 100);
  assert.equal(h.disk.state, 'ok');

  assert.deepEqual(h.cameras, [
    { name: 'front', state: 'recording', encoder: 'x264enc', fps_in: 30, frames_in: 900, frames_written: 899, frames_dropped: 1, tap_frames: 150, segments: 3, restarts: 0, last_cause: null },
    { name: 'back', state: 'restarting', encoder: 'x264enc', fps_in: 0, frames_in: 0, frames_written: 0, frames_dropped: 0, tap_frames: 0, segments: 0, restarts: 2, last_cause: 'stalled' },
  ]);
  assert.deepEqual(h.stages, [
    { name: 'camera:front', state: 'recording', restarts: 0, last_cause: null },
    { name: 'camera:back', state: 'restarting', restarts: 2, last_cause: 'stalled' },
    { name: 'retention', state: 'running', restarts: 0, last_cause: null },
  ]);
  assert.deepEqual(h.link, LINK);
  assert.deepEqual(h.outbox, { depth: 3, bytes: 600, oldest_ts: '2025-01-01T00:00:00.000Z', dropped: 5 });
});

test('a hung probe is cut off by the timeout and reported as null; failures log at debug', async () => {
  const { health, lines } = collector({
    timeoutMs: 200,
    probes: {
      cpuTemperature: () => new Promise<never>(() => undefined),
      memory: () => Promise.reject(new Error('no /proc/meminfo')),
      statfs: () => Promise.reject(Object.assign(new Error('ENOENT'), { code: 'ENOENT' })),
    },
  });
  const t0 = Date.now();
  const h = await health.collect();
  assert.ok(Date.now() - t0 < 1500, `collect took ${Date.now() - t0} ms`);
  assert.equal(h.cpu.temperature_c, null);
  assert.equal(typeof h.cpu.load_percent, 'number', 'the other probes still report');
  assert.deepEqual([h.memory.total_bytes, h.memory.available_bytes, h.memory.used_percent], [null, null, null]);
  assert.ok(h.memory.process_rss_bytes > 0);
  assert.deepEqual(h.disk, { path: h.disk.path, total_bytes: null, free_bytes: null, free_percent: null, state: 'ok' });
  const failed = lines.filter((l) => l.msg === 'health probe failed; reporting null');
  assert.deepEqual(failed.map((l) => l.probe).sort(), ['cpu_temperature', 'disk', 'memory']);
  assert.ok(failed.every((l) => l.level === 20), 'debug level');
});

test('sensor sentinels (null, -1, NaN, absurd) become null; a real reading is rounded; a retention error marks the stage failed', async () => {
  for (const reading of [null, -1, NaN, 255, -100, undefined, '45']) {
    const h = await collector({ probes: { cpuTemperature: () => Promise.resolve(reading), cpuLoad: () => Promise.resolve(NaN) } }).health.collect();
    assert.equal(h.cpu.temperature_c, null, `reading ${String(reading)}`);
    assert.equal(h.cpu.load_percent, null);
  }
  const { health } = collector({ lastError: 'EACCES: permission denied', probes: { cpuTemperature: () => Promise.resolve(47.26), cpuLoad: () => Promise.resolve(100.4) } });
  const h = await health.collect();
  assert.equal(h.cpu.temperature_c, 47.3);
  assert.equal(h.cpu.load_percent, 100);
  assert.deepEqual(h.stages.at(-1), { name: 'retention', state: 'failed', restarts: 0, last_cause: 'EACCES: permission denied' });
});
