// frames_written_ratio: does a detection consumer that cannot keep up cost recorded frames?
// The App runs in this process with a finite source (exactly FRAMES frames, then EOS) and the
// camera child's tap consumer slowed to 2 fps against a 5 fps tap; every produced frame must
// come out in the segments, by the index's count and by a real decode.
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { App } from '../src/app';
import { loadConfig } from '../src/config/load';
import type { PipelineCounters } from '../src/media/protocol';
import { resolveAll, type CameraPlan } from '../src/pipeline/plan';
import { segmentDir } from '../src/recording/segment-recorder';
import type { SegmentRow } from '../src/recording/segment-index';
import { countDecodedFrames } from '../test/helpers/media';
import { BENCH_CAMERA, progress, round, sleep, tail, withTempDir, writeBenchConfig, type MachineInfo } from './common';
import type { BenchResult } from './recording';
import { readIndex, sumFrames } from './vigild';

const FRAMES = 1800; // 60 s at 30 fps
const TAP_DELAY_MS = 500; // a 2 fps consumer against the 5 fps tap
const WAIT_MS = 80_000;
const SOURCE = 'videotestsrc is-live=true';
const TARGET_RATIO = 1;
/** How long to wait for the child's exit once every frame is indexed. */
const EXIT_GRACE_MS = 5000;

/** The same launch string with a source that sends EOS after FRAMES frames. */
function finite(plan: CameraPlan): CameraPlan {
  return {
    ...plan,
    buildLaunch: (runId) => {
      const launch = plan.buildLaunch(runId);
      if (launch.split(SOURCE).length !== 2) throw new Error(`expected "${SOURCE}" once in: ${launch}`);
      return launch.replace(SOURCE, `${SOURCE} num-buffers=${FRAMES}`);
    },
  };
}

/** The first camera child's final report, as CameraStage logs it ('camera process stopped'). */
function firstStopped(logFile: string): { reason: string; counters: PipelineCounters } | null {
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"camera process stopped"')) continue;
    const entry = JSON.parse(line) as { reason?: string; counters?: PipelineCounters };
    if (entry.counters) return { reason: entry.reason ?? '', counters: entry.counters };
  }
  return null;
}

function countStates(rows: SegmentRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.state] = (out[r.state] ?? 0) + 1;
  return out;
}

export async function framesWrittenRatio(machine: MachineInfo): Promise<BenchResult> {
  return withTempDir('vigil-bench-frames-', async (dir) => {
    const { configPath, dataDir } = writeBenchConfig(dir);
    const config = loadConfig(configPath);
    const logFile = path.join(dir, 'app.log');
    const logDest = pino.destination({ dest: logFile, sync: true });
    const log = pino({ level: 'info' }, logDest);
    const plans = (await resolveAll(config, log)).map(finite);

    // The camera child is forked with this process's environment at spawn time.
    const prevDelay = process.env.VIGIL_FAULT_TAP_DELAY_MS;
    process.env.VIGIL_FAULT_TAP_DELAY_MS = String(TAP_DELAY_MS);
    const app = new App({ config, log, socketPath: null, plans });
    // An object, not lets: the bus listener updates it, and TS would keep stale narrowings of lets.
    const first: { runId: string | null; counters: PipelineCounters | null; exitCause: string | null } = { runId: null, counters: null, exitCause: null };
    // Counters of the first run only: after its exit the stage restarts the child with fresh ones.
    const takeCounters = (): void => {
      const cam = app.status().cameras[0];
      const prev = first.counters;
      if (cam && first.runId !== null && cam.runId === first.runId && (!prev || cam.counters.framesIn >= prev.framesIn)) first.counters = cam.counters;
    };
    app.bus.on('stage', 'bench', (e) => {
      if (e.state === 'restarting' && first.exitCause === null) first.exitCause = e.cause;
    });

    let started = false;
    try {
      progress(`frames_written_ratio: ${FRAMES} frames at 720p30, tap consumer blocking ${TAP_DELAY_MS} ms per frame`);
      const t0 = Date.now();
      await app.start();
      started = true;
      const runId = app.status().cameras[0]?.runId ?? null;
      first.runId = runId;
      if (!runId) throw new Error('the camera did not start');
      const ofRun = (rows: SegmentRow[] | null): SegmentRow[] => (rows ?? []).filter((r) => r.run_id === runId);

      // Done when the first child has exited after EOS (its final counters are then logged) and
      // nothing of its run is still open; a shortfall is then the finding, not an error. All
      // frames indexed but no exit within EXIT_GRACE_MS also ends the wait.
      let timedOut = true;
      let allInAt: number | null = null;
      while (Date.now() - t0 < WAIT_MS) {
        takeCounters();
        const rows = ofRun(readIndex(dataDir, true));
        const closed = rows.length > 0 && rows.every((r) => r.state !== 'open');
        if (sumFrames(rows) >= FRAMES) allInAt ??= Date.now();
        if ((first.exitCause !== null && closed) || (allInAt !== null && Date.now() - allInAt > EXIT_GRACE_MS)) {
          timedOut = false;
          break;
        }
        await sleep(200);
      }
      const wallS = (Date.now() - t0) / 1000;
      takeCounters();
      await app.stop();
      started = false;

      const rows = ofRun(readIndex(dataDir, false));
      const written = sumFrames(rows);
      // Decode whatever the run left, indexed or not: the index's count must not be its own proof.
      const segDir = segmentDir(dataDir, BENCH_CAMERA);
      const files = new Set(rows.map((r) => r.path).filter((p) => fs.existsSync(p)));
      for (const f of fs.readdirSync(segDir)) if (f.startsWith(`${runId}_`)) files.add(path.join(segDir, f));
      progress(`frames_written_ratio: decoding ${files.size} segments`);
      let decoded = 0;
      for (const f of [...files].sort()) decoded += await countDecodedFrames(f, 120_000);

      const stopped = firstStopped(logFile);
      const c = stopped?.counters ?? first.counters;
      const startMs = Math.min(...rows.map((r) => r.start_ms));
      const endMs = Math.max(...rows.map((r) => r.end_ms ?? r.start_ms));
      return {
        machine,
        tap_delay_ms: TAP_DELAY_MS,
        tap_fps: config.cameras[0]?.tap.fps ?? null,
        frames_produced: FRAMES,
        frames_written_index: written,
        frames_written_decoded: decoded,
        ratio: round(written / FRAMES, 4),
        ratio_decoded: round(decoded / FRAMES, 4),
        target_ratio: TARGET_RATIO,
        // No frame lost: every source frame, and every frame videorate passed on, is in a segment.
        pass: decoded === written && written >= FRAMES && (!stopped || (stopped.counters.framesIn === FRAMES && written === stopped.counters.framesOut)),
        segments: rows.length,
        segment_files_decoded: files.size,
        segment_states: countStates(rows),
        recorded_span_s: rows.length > 0 ? round((endMs - startMs) / 1000, 2) : null,
        indexed_duration_s: round(rows.reduce((n, r) => n + (r.duration_ms ?? 0), 0) / 1000, 2),
        // Against what entered the recording branch: videorate may add a duplicate at EOS (docs/bench.md).
        ratio_vs_videorate_out: c && c.framesOut > 0 ? round(written / c.framesOut, 4) : null,
        segment_frames: rows.map((r) => r.frames),
        tap_frames_delivered: c?.tapFrames ?? null,
        tap_fps_delivered: c ? round(c.tapFrames / (FRAMES / 30), 2) : null,
        counters: c,
        counters_source: stopped ? 'final (stopped message)' : 'last heartbeat',
        child_stop_reason: stopped?.reason ?? null,
        wall_s: round(wallS, 1),
        timed_out: timedOut,
      };
    } catch (err) {
      progress(`frames_written_ratio failed; log tail:\n${tail(logFile)}`);
      throw err;
    } finally {
      if (started) await app.stop();
      logDest.end();
      if (prevDelay === undefined) delete process.env.VIGIL_FAULT_TAP_DELAY_MS;
      else process.env.VIGIL_FAULT_TAP_DELAY_MS = prevDelay;
    }
  });
}
