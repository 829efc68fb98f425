// Entry point of a detector process: one per camera with detection on, a child of the daemon.
// It reads letterboxed RGB frames from the camera's tap socket, runs the model in a worker
// thread, tracks objects and reports object events and counters to the daemon over IPC.
//
// Why its own process (docs/detection.md): onnxruntime is native code; a crash, a hang or an
// out-of-memory in it must cost detections only. This process can die at any moment and the
// camera process, which only ever offers frames to a socket, does not notice.
import crypto from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ObjectEvent } from '../events';
import { FrameReader, type Frame } from './frame-protocol';
import type { WorkerInit, WorkerOut } from './inference-worker';
import { letterboxFor } from './letterbox';
import { encodeSnapshot, writeSnapshot } from './snapshot';
import { ObjectTracker, type TrackEvent, type TrackerOptions } from './tracker';
import type { Detection } from './types';
import { zonesOf, type Zone } from './zones';
import { LatencyWindow } from './latency';
import type { DetectorCounters, DetectorMessage, DetectorParentMessage, DetectorSpec } from './detector-protocol';

const spec = JSON.parse(process.argv[2] ?? '{}') as DetectorSpec;
/** Tracks keep at most this many best frames in memory (1.2 MB each at 640×640). */
const MAX_KEPT_FRAMES = 8;
const RECONNECT_MS = 500;
/** Fault injection for the crash-loop test: exit this long after the model is ready. */
const FAULT_EXIT_AFTER_MS = Number(process.env.VIGIL_FAULT_DETECTOR_EXIT_AFTER_MS ?? 0);

const counters: DetectorCounters = { framesIn: 0, inferences: 0, staleDropped: 0, runErrors: 0, connected: false, events: 0, inferP50Ms: null, inferP95Ms: null, fps: 0 };
const latency = new LatencyWindow(200);
const lb = letterboxFor(spec.worker.frameW, spec.worker.frameH, spec.worker.inputSize);
// Ids must stay unique across detector restarts: the run tag changes with every process.
const runTag = crypto.randomBytes(3).toString('hex');
let idCounter = 0;
const tracker = new ObjectTracker(spec.camera, spec.tracker as TrackerOptions, () => `${spec.camera}-${runTag}-${++idCounter}`);
const zones: Zone[] = spec.zones;
/** RGB of frames that some track holds as its best, by frame seq. */
const kept = new Map<number, Uint8Array>();
/** Snapshot already written per object: the frame seq it shows. */
const written = new Map<string, { seq: number; path: string; bytes: number }>();

let worker: Worker | null = null;
let busy = false;
let pending: Frame | null = null;
let stopping = false;
let socket: net.Socket | null = null;
let reader = new FrameReader();
const fpsMarks: number[] = [];

function send(msg: DetectorMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

function fatal(phase: 'load' | 'runtime', message: string): void {
  void send({ type: 'fatal', phase, message }).finally(() => process.exit(phase === 'load' ? 2 : 1));
}

function connect(): void {
  if (stopping) return;
  reader = new FrameReader();
  const sock = net.createConnection(spec.tapSocket);
  socket = sock;
  sock.on('connect', () => {
    counters.connected = true;
  });
  sock.on('data', (chunk: Buffer) => {
    let frames: Frame[];
    try {
      frames = reader.push(chunk);
    } catch (err) {
      void send({ type: 'warning', message: `tap stream: ${(err as Error).message}; reconnecting` });
      sock.destroy();
      return;
    }
    for (const f of frames) onFrame(f);
  });
  sock.on('error', () => undefined); // 'close' follows and reconnects
  sock.on('close', () => {
    counters.connected = false;
    if (socket === sock) socket = null;
    // The camera process restarts or is not up yet: try again shortly, forever.
    if (!stopping) setTimeout(connect, RECONNECT_MS).unref();
  });
}

function onFrame(f: Frame): void {
  counters.framesIn++;
  if (!busy) return dispatch(f);
  // At most one frame waits; a newer one makes it stale.
  if (pending) counters.staleDropped++;
  pending = f;
}

function dispatch(f: Frame): void {
  if (!worker) return;
  busy = true;
  const rgb = f.data.buffer as ArrayBuffer;
  worker.postMessage({ type: 'frame', seq: f.seq, tsMs: f.tsMs, rgb }, [rgb]);
}

function onResult(m: Extract<WorkerOut, { type: 'result' }>): void {
  counters.inferences++;
  latency.add(m.inferMs);
  const now = Date.now();
  fpsMarks.push(now);
  while (fpsMarks.length > 0 && (fpsMarks[0] as number) < now - 5000) fpsMarks.shift();
  const rgb = new Uint8Array(m.rgb);
  const dets = m.detections.map((d: Detection) => ({ label: d.label, score: d.score, box: d.box, zones: zonesOf(d.box, zones) }));
  const events = tracker.update(m.tsMs, m.seq, dets);
  // Keep this frame only while a track holds it as its best.
  const bests = tracker.bestFrameSeqs();
  if (bests.has(m.seq)) kept.set(m.seq, rgb);
  for (const seq of kept.keys()) if (!bests.has(seq) && !events.some((e) => e.bestFrameSeq === seq)) kept.delete(seq);
  while (kept.size > MAX_KEPT_FRAMES) kept.delete(kept.keys().next().value as number);
  emit(events);
}

function emit(events: TrackEvent[]): void {
  for (const e of events) {
    const snap = snapshotFor(e);
    const ev: ObjectEvent = {
      camera: spec.camera, kind: e.kind, objectId: e.objectId, label: e.label, score: e.score, bestScore: e.bestScore,
      box: e.box, zones: e.zones, firstSeenMs: e.firstSeenMs, lastSeenMs: e.lastSeenMs, snapshot: snap,
    };
    counters.events++;
    void send({ type: 'object', event: ev });
    if (e.kind === 'end') written.delete(e.objectId);
  }
}

/** Writes the best frame's JPEG when it changed since the last one for this object. */
function snapshotFor(e: TrackEvent): { path: string; bytes: number } | null {
  const prev = written.get(e.objectId);
  if (prev && prev.seq === e.bestFrameSeq) return { path: prev.path, bytes: prev.bytes };
  const rgb = kept.get(e.bestFrameSeq);
  if (!rgb) return prev ? { path: prev.path, bytes: prev.bytes } : null;
  const file = path.join(spec.snapshotDir, `${e.objectId}.jpg`);
  try {
    const bytes = writeSnapshot(file, encodeSnapshot(rgb, lb));
    written.set(e.objectId, { seq: e.bestFrameSeq, path: file, bytes });
    return { path: file, bytes };
  } catch (err) {
    // A full disk must not stop detection: the event goes out without a snapshot, and says so.
    void send({ type: 'warning', message: `snapshot ${file}: ${(err as Error).message}` });
    return prev ? { path: prev.path, bytes: prev.bytes } : null;
  }
}

function startWorker(): void {
  const init: WorkerInit = spec.worker;
  const w = new Worker(path.join(__dirname, 'inference-worker.js'), { workerData: init });
  worker = w;
  w.on('message', (m: WorkerOut) => {
    if (m.type === 'ready') {
      void send({ type: 'ready', provider: m.provider, loadMs: m.loadMs, warnings: m.warnings, labels: m.labels });
      connect();
      if (FAULT_EXIT_AFTER_MS > 0) setTimeout(() => process.exit(70), FAULT_EXIT_AFTER_MS);
    } else if (m.type === 'load-error') {
      fatal('load', m.message);
    } else {
      busy = false;
      if (m.type === 'result') onResult(m);
      else {
        counters.runErrors++;
        void send({ type: 'warning', message: `inference failed on frame ${m.seq}: ${m.message}` });
      }
      const next = pending;
      pending = null;
      if (next && !stopping) dispatch(next);
    }
  });
  w.on('error', (err) => fatal('runtime', `inference worker crashed: ${err.message}`));
  w.on('exit', (code) => {
    if (!stopping) fatal('runtime', `inference worker exited with code ${code}`);
  });
}

async function shutdown(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  socket?.destroy();
  // Objects still in view end now, so the fleet never sees a 'new' without its 'end'.
  emit(tracker.flush(Date.now()));
  await send({ type: 'stopped', reason, counters: snapshot() });
  await worker?.terminate();
  process.exit(0);
}

function snapshot(): DetectorCounters {
  const now = Date.now();
  const recent = fpsMarks.filter((t) => t >= now - 5000).length;
  return { ...counters, inferP50Ms: latency.quantile(0.5), inferP95Ms: latency.quantile(0.95), fps: Math.round((recent / 5) * 10) / 10 };
}

function main(): void {
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('disconnect', () => void shutdown('daemon gone'));
  process.on('message', (m: DetectorParentMessage) => {
    if (m.type === 'stop') void shutdown(m.reason);
  });
  process.on('uncaughtException', (err) => fatal('runtime', err.stack ?? String(err)));
  startWorker();
  // Objects end by time even when no frames come (camera stopped, source away).
  setInterval(() => emit(tracker.expire(Date.now())), 250);
  setInterval(() => void send({ type: 'heartbeat', at: Date.now(), counters: snapshot() }), spec.heartbeatMs);
}

main();
