// Bench of the supervisor: how fast vigild notices a fault and how fast it records again.
// One daemon, two small cameras (a test source and an RTSP camera fed by a local GStreamer
// RTSP server), and four faults injected one after the other: the camera process SIGKILLed,
// the camera process frozen (SIGSTOP), the RTSP source stalled (server SIGSTOPped 10 s) and
// the RTSP source dropped (server killed 10 s, started again on the same port); then the test
// camera's detector SIGKILLed and frozen (SIGSTOP), where the recording gap must stay zero.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { SegmentRow } from '../src/recording/segment-index';
import { RtspServer, rtspServerAvailable } from '../test/helpers/rtsp-server';
import { Detached, VIGILD, pollUntil, progress, sleep, tail, withTempDir, type MachineInfo } from './common';
import type { BenchResult } from './recording';
import { daemonStatus, readIndex } from './vigild';
import { aboutCamera, describeLine, readLogLines, type LogLine } from '../test/helpers/daemon-log';
import { writeBallModel } from '../test/fixtures/ball-model';

const STALL_AFTER_S = 3;
const SEGMENT_S = 3;
/** How long the source faults are held. */
const HOLD_MS = 10_000;
const STARTUP_TIMEOUT_MS = 60_000;
const DETECT_TIMEOUT_MS = 20_000;
/** Source backoff is 5 s → 30 s, plus connect and the first keyframe. */
const RECOVER_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

const TEST_CAM = 'cam';
const RTSP_CAM = 'ipcam';

/** The daemon's own account of a fault: these messages (warn or worse) mean "noticed". */
const DETECTION_MSGS = new Set([
  'stage event', 'pipeline error', 'camera process hung; killing it', 'camera stalled', 'camera process exited; restarting',
]);

function logLines(file: string): LogLine[] {
  return readLogLines(file);
}

export interface FaultRow {
  fault: string;
  camera: string;
  /** How long the fault was held (source faults); 0 for process faults. */
  held_ms: number;
  /** Daemon log line time − injection time. */
  fault_to_detection_ms: number;
  detected_by: string;
  /** Start of the first segment after the fault (index) − detection time. */
  detection_to_recovery_ms: number;
  /** Start of the first segment after the fault − end of the hold (source faults only). */
  source_back_to_recovery_ms: number | null;
  /** Index: start of the first segment after the fault − end of the last one before it. */
  recording_gap_ms: number;
  camera_restarts: number;
  other_camera_untouched: boolean;
  daemon_pid_unchanged: boolean;
}

export async function benchFaultRecovery(machine: MachineInfo): Promise<BenchResult> {
  if (!rtspServerAvailable()) throw new Error('GstRtspServer typelib missing (run provisioning/dev-setup.sh)');
  return withTempDir('vigil-bench-faults-', async (dir) => {
    const server = new RtspServer({ width: 320, height: 240, fps: 15, logFile: path.join(dir, 'rtsp-server.log') });
    // The server is not in a detached group: make sure a Ctrl-C'd or crashed bench takes it along.
    const killServer = (): void => {
      const pid = server.pid;
      if (pid !== null) try { process.kill(pid, 'SIGKILL'); } catch { /* gone already */ }
    };
    process.once('exit', killServer);
    await server.start();

    const dataDir = path.join(dir, 'data');
    const camera = (name: string, source: Record<string, unknown>): Record<string, unknown> => ({
      name, source,
      video: { width: 320, height: 240, fps: 15 },
      encoder: { codec: 'h264', bitrate_kbps: 500, keyframe_interval_s: 1, prefer: 'software' },
      recording: { segment_seconds: SEGMENT_S },
      tap: { fps: 5, width: 160, height: 160 },
      watchdog: { stall_after_s: STALL_AFTER_S },
    });
    const configPath = path.join(dir, 'config.yaml');
    const model = writeBallModel(path.join(dir, 'ball.onnx'), { size: 160 });
    const detection = { fps: 5, model: { kind: 'yolo', path: model, input_size: 160, labels: ['ball'] }, stall_after_s: STALL_AFTER_S };
    fs.writeFileSync(configPath, YAML.stringify({
      device: { id: 'bench-faults' },
      data_dir: dataDir,
      log: { level: 'info' },
      cameras: [
        { ...camera(TEST_CAM, { kind: 'test', pattern: 'ball', overlay: false }), detection },
        camera(RTSP_CAM, { kind: 'rtsp', uri: server.uri, latency_ms: 200, transport: 'tcp' }),
      ],
      retention: { min_free_percent: 0, min_free_bytes: '1MB', interval_s: 5 },
    }));
    const logFile = path.join(dir, 'vigild.log');
    const daemon = new Detached(process.execPath, [VIGILD, '--config', configPath], logFile);
    const dead = (): string | null => (daemon.alive ? null : `vigild exited (log tail:\n${tail(logFile)})`);
    const rows = (cam: string): SegmentRow[] => (readIndex(dataDir, true) ?? []).filter((r) => r.camera === cam);
    const status = async (cam: string): Promise<{ pid: number | null; restarts: number; state: string }> => {
      const c = (await daemonStatus(dataDir)).cameras.find((x) => x.camera === cam);
      if (!c) throw new Error(`camera ${cam} missing from status`);
      return { pid: c.pid, restarts: c.restarts, state: String(c.state) };
    };
    /** Two closed segments of `cam` that started after `fromMs`: the camera records steadily. */
    const steady = (cam: string, fromMs: number, what: string): Promise<SegmentRow[]> => pollUntil(what, () => {
      const done = rows(cam).filter((r) => r.state === 'closed' && r.start_ms >= fromMs);
      return done.length >= 2 ? done : null;
    }, STARTUP_TIMEOUT_MS, 250, dead);

    const out: FaultRow[] = [];
    try {
      const t0 = Date.now();
      await steady(TEST_CAM, 0, 'two closed segments of the test camera');
      await steady(RTSP_CAM, 0, 'two closed segments of the RTSP camera');
      const daemonPid = (await daemonStatus(dataDir)).pid;
      progress(`fault_recovery: both cameras recording after ${Date.now() - t0} ms`);

      const measure = async (
        fault: string, cam: string, inject: () => Promise<number>,
      ): Promise<void> => {
        const other = cam === TEST_CAM ? RTSP_CAM : TEST_CAM;
        const otherBefore = await status(other);
        const before = await status(cam);
        const injectedAt = Date.now();
        progress(`fault_recovery: ${fault} on ${cam}`);
        // inject returns when the fault is over (the source is back): its hold time.
        const heldMs = await inject();
        const backAt = injectedAt + heldMs;
        const detected = await pollUntil(`detection of ${fault}`, () => logLines(logFile).find((l) => l.time >= injectedAt && l.level >= 40
          && DETECTION_MSGS.has(l.msg) && aboutCamera(l, cam)) ?? null, DETECT_TIMEOUT_MS, 100, dead);
        const firstNew = await pollUntil(`a ${cam} segment after ${fault}`, () => rows(cam).find((r) => r.start_ms > injectedAt) ?? null,
          RECOVER_TIMEOUT_MS, 100, dead);
        const prev = await pollUntil(`the ${cam} segment open at ${fault} finalised`, () => {
          const p = rows(cam).filter((r) => r.start_ms <= injectedAt).at(-1);
          if (!p) throw new Error(`no ${cam} segment before ${fault}`);
          return p.end_ms !== null ? p : null;
        }, 30_000, 200, dead);
        await steady(cam, firstNew.start_ms, `${cam} recording steadily after ${fault}`);
        const after = await status(cam);
        const otherAfter = await status(other);
        const row: FaultRow = {
          fault, camera: cam, held_ms: heldMs,
          fault_to_detection_ms: detected.time - injectedAt,
          detected_by: describeLine(detected),
          detection_to_recovery_ms: firstNew.start_ms - detected.time,
          source_back_to_recovery_ms: heldMs > 0 ? firstNew.start_ms - backAt : null,
          recording_gap_ms: firstNew.start_ms - (prev.end_ms as number),
          camera_restarts: after.restarts - before.restarts,
          other_camera_untouched: otherAfter.pid === otherBefore.pid && otherAfter.restarts === otherBefore.restarts,
          daemon_pid_unchanged: (await daemonStatus(dataDir)).pid === daemonPid && daemon.alive,
        };
        progress(`fault_recovery: ${JSON.stringify(row)}`);
        out.push(row);
      };

      await measure('camera_process_sigkill', TEST_CAM, async () => {
        const { pid } = await status(TEST_CAM);
        if (!pid) throw new Error('no camera pid');
        process.kill(pid, 'SIGKILL');
        return 0;
      });
      await measure('camera_process_sigstop', TEST_CAM, async () => {
        const { pid } = await status(TEST_CAM);
        if (!pid) throw new Error('no camera pid');
        // The daemon must SIGKILL the frozen child itself; nothing is resumed here.
        process.kill(pid, 'SIGSTOP');
        return 0;
      });
      await measure('rtsp_source_stall', RTSP_CAM, async () => {
        const t = Date.now();
        server.pause();
        try {
          await sleep(HOLD_MS);
        } finally {
          server.resume();
        }
        return Date.now() - t;
      });
      await measure('rtsp_source_drop', RTSP_CAM, async () => {
        const t = Date.now();
        await server.kill();
        await sleep(HOLD_MS);
        await server.start();
        return Date.now() - t;
      });
      // Detector faults: noticed by the detector stage, recovered when a new detector runs; the
      // camera's segments must show no gap at all (recording never waits for detection).
      const measureDetector = async (fault: string, signal: NodeJS.Signals): Promise<void> => {
        const det = await pollUntil('detector running', async () => {
          const d = (await daemonStatus(dataDir)).detectors[0];
          return d?.state === 'running' && d.pid ? d : null;
        }, STARTUP_TIMEOUT_MS, 200, dead);
        const cam = await status(TEST_CAM);
        const injectedAt = Date.now();
        progress(`fault_recovery: ${fault}`);
        process.kill(det.pid as number, signal);
        const detected = await pollUntil(`detection of ${fault}`, () => logLines(logFile).find((l) => l.time >= injectedAt && l.level >= 40
          && ['detector stalled; killing it', 'detector down; restarting'].includes(l.msg)) ?? null, DETECT_TIMEOUT_MS, 100, dead);
        const back = await pollUntil('detector back', async () => {
          const d = (await daemonStatus(dataDir)).detectors[0];
          return d?.state === 'running' && d.pid !== det.pid ? Date.now() : null;
        }, RECOVER_TIMEOUT_MS, 100, dead);
        // Segments around the fault: consecutive ones of one run touch (end = next start).
        await steady(TEST_CAM, back, `${TEST_CAM} segments after ${fault}`);
        const around = rows(TEST_CAM).filter((r) => (r.end_ms ?? Infinity) >= injectedAt - SEGMENT_S * 1000 && r.start_ms <= back + SEGMENT_S * 1000);
        let gap = 0;
        for (let i = 1; i < around.length; i++) gap = Math.max(gap, (around[i]?.start_ms ?? 0) - ((around[i - 1]?.end_ms as number) ?? 0));
        const after = await status(TEST_CAM);
        const row: FaultRow = {
          fault, camera: TEST_CAM, held_ms: 0,
          fault_to_detection_ms: detected.time - injectedAt, detected_by: describeLine(detected),
          detection_to_recovery_ms: back - detected.time, source_back_to_recovery_ms: null,
          recording_gap_ms: gap, camera_restarts: after.restarts - cam.restarts,
          other_camera_untouched: after.pid === cam.pid,
          daemon_pid_unchanged: (await daemonStatus(dataDir)).pid === daemonPid && daemon.alive,
        };
        progress(`fault_recovery: ${JSON.stringify(row)}`);
        out.push(row);
      };
      await measureDetector('detector_sigkill', 'SIGKILL');
      await measureDetector('detector_sigstop', 'SIGSTOP');
      return {
        machine,
        setup: {
          cameras: `${TEST_CAM} (videotestsrc) + ${RTSP_CAM} (local GstRtspServer, TCP), 320x240@15, x264enc 500 kbit/s, 1 s GOP`,
          segment_seconds: SEGMENT_S, stall_after_s: STALL_AFTER_S, source_fault_hold_ms: HOLD_MS,
        },
        faults: out,
      };
    } finally {
      if (daemon.alive) await daemon.stop('SIGTERM', STOP_TIMEOUT_MS);
      daemon.killGroup();
      if (server.running) {
        try { server.resume(); } catch { /* not paused or gone */ }
        await server.kill();
      }
      process.removeListener('exit', killServer);
    }
  });
}
