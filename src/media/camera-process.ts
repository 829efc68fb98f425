// Entry point of a camera child process: runs one GStreamer pipeline and reports segment
// boundaries, counters and errors to the daemon over IPC.
//
// Why a process per camera (../shared/SPIKE.md): the binding leaks 1-2.5 MB per pipeline
// rebuild, hangs process.exit() while a pipeline plays, and an element segfault kills the
// whole process. A child that dies takes only its own camera down, and the daemon restarts it.
import { Pipeline, type AppSink, type BusMessage } from 'gstreamer-superficial';
import type { CameraProcessSpec, ChildMessage, ParentMessage, PipelineCounters } from './protocol';
import { TapServer } from './tap-server';

const spec = JSON.parse(process.argv[2] ?? '{}') as CameraProcessSpec;
/**
 * Fault injection for benches and tests: block this process's event loop for N ms on every
 * tap frame, the worst a slow detector could do. Recording must not lose a frame to it.
 */
const TAP_DELAY_MS = Number(process.env.VIGIL_FAULT_TAP_DELAY_MS ?? 0);

let pipeline: Pipeline | null = null;
let stopping = false;
let eosSeen = false;
let onEos: (() => void) | null = null;
let tapFrames = 0;
/** Wall-clock ms at running-time 0, fixed by the first fragment message of this run. */
let wallAtRt0: number | null = null;
let heartbeat: NodeJS.Timeout | null = null;
const tapServer = spec.tap
  ? new TapServer(spec.tap.socket, (message) => void send({ type: 'pipeline-warning', element: 'tap', message }))
  : null;

function send(msg: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

/** Stops the pipeline before exiting: exiting while it plays hangs forever (SPIKE.md). */
function exitNow(code: number): never {
  try {
    pipeline?.stop();
  } catch (err) {
    process.stderr.write(`camera ${spec.camera}: pipeline.stop failed: ${String(err)}\n`);
  }
  process.exit(code);
}

function num(v: unknown): number {
  // uint64 properties arrive as decimal strings
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) ? n : 0;
}

function counters(): PipelineCounters {
  const rate = pipeline?.findChild('rate');
  const recq = pipeline?.findChild('recq');
  return {
    framesIn: num(rate?.['in']),
    framesOut: num(rate?.['out']),
    framesDropped: num(rate?.['drop']),
    framesDuplicated: num(rate?.['dup']),
    tapFrames,
    recQueueFrames: num(recq?.['current-level-buffers']),
    tapSent: tapServer?.counters.sent ?? 0,
    tapDropped: tapServer?.counters.dropped ?? 0,
  };
}

function rtMs(m: BusMessage): number {
  return Number(BigInt(String(m['running-time'] ?? '0')) / 1000000n);
}

function onBus(m: BusMessage): void {
  if (m.type === 'element' && m.name === 'splitmuxsink-fragment-opened') {
    const rt = rtMs(m);
    if (wallAtRt0 === null) wallAtRt0 = Date.now() - rt;
    void send({ type: 'segment-opened', path: String(m.location), startMs: wallAtRt0 + rt });
  } else if (m.type === 'element' && m.name === 'splitmuxsink-fragment-closed') {
    const rt = rtMs(m);
    if (wallAtRt0 === null) wallAtRt0 = Date.now() - rt;
    void send({ type: 'segment-closed', path: String(m.location), endMs: wallAtRt0 + rt });
  } else if (m.type === 'error') {
    void send({ type: 'pipeline-error', element: String(m._src_element_name ?? '?'), message: String(m.message ?? ''), debug: String(m.debug ?? '') });
  } else if (m.type === 'warning') {
    void send({ type: 'pipeline-warning', element: String(m._src_element_name ?? '?'), message: String(m.message ?? '') });
  } else if (m.type === 'eos') {
    eosSeen = true;
    void send({ type: 'eos' });
    if (onEos) onEos();
    // A source that ends by itself (file, num-buffers) finalises and exits; the daemon decides what next.
    else void shutdown('source ended');
  }
}

async function shutdown(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (heartbeat) clearInterval(heartbeat);
  tapServer?.stop();
  if (pipeline && !eosSeen) {
    // EOS makes splitmuxsink finalise the open fragment; bounded because muxers can hang at EOS.
    await new Promise<void>((resolve) => {
      onEos = resolve;
      setTimeout(resolve, spec.eosTimeoutMs).unref();
      pipeline?.sendEOS();
    });
  }
  const final = counters();
  try {
    pipeline?.stop();
  } catch (err) {
    process.stderr.write(`camera ${spec.camera}: pipeline.stop failed: ${String(err)}\n`);
  }
  await send({ type: 'stopped', reason, eos: eosSeen, counters: final });
  process.exit(0);
}

function pullTap(tap: AppSink): void {
  tap.pull(function onSample(buf) {
    if (!buf) return; // EOS or stopped
    tapFrames++;
    if (tapServer && spec.tap) tapServer.offer(buf, spec.tap.width, spec.tap.height);
    if (TAP_DELAY_MS > 0) {
      const until = Date.now() + TAP_DELAY_MS;
      while (Date.now() < until) {
        // busy-wait on purpose: simulates a consumer that hogs the thread
      }
    }
    if (!stopping) tap.pull(onSample);
  });
}

function main(): void {
  process.on('uncaughtException', (err) => {
    void send({ type: 'fatal', phase: 'runtime', message: err.stack ?? String(err) }).finally(() => exitNow(1));
  });
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // The daemon died: finalise our segment and go, so a restarted daemon never finds two recorders.
  process.on('disconnect', () => void shutdown('daemon gone'));
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'stop') void shutdown(m.reason);
  });

  try {
    pipeline = new Pipeline(spec.launch);
  } catch (err) {
    void send({ type: 'fatal', phase: 'parse', message: String((err as Error).message ?? err) }).finally(() => process.exit(2));
    return;
  }
  pipeline.pollBus(onBus);
  try {
    pipeline.play();
  } catch (err) {
    void send({ type: 'fatal', phase: 'play', message: String((err as Error).message ?? err) }).finally(() => exitNow(2));
    return;
  }
  tapServer?.start();
  const tap = pipeline.findChild('tap') as AppSink | null;
  if (tap) pullTap(tap);
  void send({ type: 'playing', pid: process.pid });
  heartbeat = setInterval(() => void send({ type: 'heartbeat', at: Date.now(), counters: counters() }), spec.heartbeatMs);
}

main();
