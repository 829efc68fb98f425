// Benches of issue "recording": what vigild costs on top of the bare GStreamer pipeline it
// runs, whether a slow detection consumer costs recorded frames, and how fast and how big
// the daemon starts. All use the 720p30 camera of provisioning/dev.yaml (writeBenchConfig).
import fs from 'node:fs';
import path from 'node:path';
import { splitLaunch } from '../src/pipeline/launch';
import { probeSegment } from '../src/recording/ts-probe';
import {
  BENCH_CAMERA, Detached, VIGILD, clkTck, median, pollUntil, printPipeline, procCpu, procMemory, progress, round, sleep, tail,
  withTempDir, writeBenchConfig, type MachineInfo, type ProcCpu,
} from './common';
import { framesWrittenRatio } from './frames-written';
import { daemonStatus, readIndex, sumFrames } from './vigild';

export type BenchResult = Record<string, unknown>;

export interface Bench {
  name: string;
  /** The issue that introduced it; `node dist/bench/run.js <group>` runs the whole group. */
  group: string;
  run: (machine: MachineInfo) => Promise<BenchResult>;
}

/** The spec's acceptance figures, reported beside the measurement. */
const TARGET_CPU_RATIO = 1.1;
const CPU_RUN_MS = 60_000;
/** Start of the steady-state window: after node start-up, the registry probe and pipeline preroll. */
const STEADY_FROM_MS = 15_000;
const STOP_TIMEOUT_MS = 15_000;
const STARTUP_RUNS = 3;
const STARTUP_TIMEOUT_MS = 30_000;
const MEMORY_AFTER_MS = 30_000;

const CAMERA_SETUP = {
  video: '1280x720@30', encoder: 'x264enc (software)', bitrate_kbps: 4000, keyframe_interval_s: 1,
  segment_seconds: 10, pattern: 'ball', overlay: true, tap: '5 fps, 640x640 RGB',
};

interface CpuSample { daemon: ProcCpu; child: ProcCpu; gst: ProcCpu }

function sampleCpu(daemonPid: number, childPid: number, gstPid: number): CpuSample {
  // Read back to back so the three figures describe the same instant.
  const daemon = procCpu(daemonPid);
  const child = procCpu(childPid);
  const gst = procCpu(gstPid);
  if (!daemon || !child || !gst) {
    throw new Error(`a measured process is gone (daemon ${daemon ? 'up' : 'gone'}, camera child ${child ? 'up' : 'gone'}, gst-launch ${gst ? 'up' : 'gone'})`);
  }
  return { daemon, child, gst };
}

/** Frames in the MPEG-TS files of a folder, counted by the recorder's own probe. */
async function framesInDir(dir: string): Promise<{ files: number; frames: number }> {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));
  let frames = 0;
  for (const f of files) frames += (await probeSegment(path.join(dir, f))).frames;
  return { files: files.length, frames };
}

async function cpuVsGstLaunch(machine: MachineInfo): Promise<BenchResult> {
  return withTempDir('vigil-bench-cpu-', async (dir) => {
    const { configPath, dataDir } = writeBenchConfig(dir);
    const launch = printPipeline(configPath);
    // Same launch string, only the segment location moved, so the two never share files.
    const vigildPrefix = path.join(dataDir, 'segments', BENCH_CAMERA, 'RUNID_');
    const gstDir = path.join(dir, 'gst');
    fs.mkdirSync(gstDir);
    if (launch.split(vigildPrefix).length !== 2) throw new Error(`expected the segment location ${vigildPrefix} once in: ${launch}`);
    const gstArgs = ['-e', ...splitLaunch(launch.replace(vigildPrefix, path.join(gstDir, 'gst_')))];

    progress(`cpu_vs_gst_launch: vigild and gst-launch-1.0 side by side for ${CPU_RUN_MS / 1000} s`);
    const t0 = Date.now();
    const daemon = new Detached(process.execPath, [VIGILD, '--config', configPath], path.join(dir, 'vigild.log'));
    // TZ=UTC as the camera child gets it: clockoverlay must format the same way in both.
    const gst = new Detached('gst-launch-1.0', gstArgs, path.join(dir, 'gst-launch.log'), { ...process.env, TZ: 'UTC' });
    try {
      const childPid = await pollUntil('the camera child pid', async () => (await daemonStatus(dataDir)).cameras[0]?.pid ?? null,
        STARTUP_TIMEOUT_MS, 200, () => (!daemon.alive ? 'vigild exited' : !gst.alive ? 'gst-launch-1.0 exited' : null));

      await sleep(t0 + STEADY_FROM_MS - Date.now());
      const steady0 = sampleCpu(daemon.pid, childPid, gst.pid);
      await sleep(t0 + CPU_RUN_MS - Date.now());
      const end = sampleCpu(daemon.pid, childPid, gst.pid);
      const rss = { daemon: procMemory(daemon.pid), child: procMemory(childPid), gst: procMemory(gst.pid) };
      const cam = (await daemonStatus(dataDir)).cameras[0];
      if (cam?.pid !== childPid) throw new Error(`the camera child was restarted during the run (${cam?.restarts ?? '?'} restarts, cause ${cam?.lastCause ?? '?'})`);

      progress('cpu_vs_gst_launch: stopping both');
      const [vigildStopMs, gstStopMs] = await Promise.all([daemon.stop('SIGTERM', STOP_TIMEOUT_MS), gst.stop('SIGINT', STOP_TIMEOUT_MS)]);
      const vigildFrames = sumFrames(readIndex(dataDir, false) ?? []);
      const gstFrames = await framesInDir(gstDir);

      const vigildTotal = end.daemon.cpuS + end.child.cpuS;
      const steady = {
        daemon: end.daemon.cpuS - steady0.daemon.cpuS,
        child: end.child.cpuS - steady0.child.cpuS,
        gst: end.gst.cpuS - steady0.gst.cpuS,
      };
      const ratio = vigildTotal / end.gst.cpuS;
      return {
        machine,
        camera: CAMERA_SETUP,
        duration_s: CPU_RUN_MS / 1000,
        clk_tck: clkTck(),
        vigild_cpu_s: round(vigildTotal, 2),
        vigild_daemon_cpu_s: round(end.daemon.cpuS, 2),
        vigild_child_cpu_s: round(end.child.cpuS, 2),
        gst_launch_cpu_s: round(end.gst.cpuS, 2),
        ratio: round(ratio),
        target_ratio_max: TARGET_CPU_RATIO,
        pass: ratio <= TARGET_CPU_RATIO,
        child_only_ratio: round(end.child.cpuS / end.gst.cpuS),
        detail: {
          daemon_user_s: round(end.daemon.userS, 2), daemon_system_s: round(end.daemon.systemS, 2),
          child_user_s: round(end.child.userS, 2), child_system_s: round(end.child.systemS, 2),
          gst_launch_user_s: round(end.gst.userS, 2), gst_launch_system_s: round(end.gst.systemS, 2),
          // The gst-inspect-1.0 registry probe at start, not in vigild_cpu_s (it is not a process of vigild's).
          daemon_waited_children_cpu_s: round(end.daemon.waitedChildrenS, 2),
        },
        steady_state: {
          window_s: [STEADY_FROM_MS / 1000, CPU_RUN_MS / 1000],
          daemon_cpu_s: round(steady.daemon, 2),
          child_cpu_s: round(steady.child, 2),
          gst_launch_cpu_s: round(steady.gst, 2),
          ratio: round((steady.daemon + steady.child) / steady.gst),
          daemon_cpu_percent_of_core: round((100 * steady.daemon) / ((CPU_RUN_MS - STEADY_FROM_MS) / 1000), 2),
        },
        // Both ran the same wall time, but vigild's child starts later (node start-up, registry probe).
        frames_written: { vigild: vigildFrames, gst_launch: gstFrames.frames, gst_launch_segments: gstFrames.files },
        ratio_per_frame: vigildFrames > 0 && gstFrames.frames > 0 ? round((vigildTotal / vigildFrames) / (end.gst.cpuS / gstFrames.frames)) : null,
        // Read at the end sample: how much of the child's memory is Node and the binding.
        rss_mib: { vigild_daemon: rss.daemon?.rssMiB ?? null, vigild_child: rss.child?.rssMiB ?? null, gst_launch: rss.gst?.rssMiB ?? null },
        stop_ms: { vigild: vigildStopMs, gst_launch: gstStopMs },
      };
    } catch (err) {
      progress(`cpu_vs_gst_launch failed; vigild log tail:\n${tail(path.join(dir, 'vigild.log'))}\ngst-launch log tail:\n${tail(path.join(dir, 'gst-launch.log'))}`);
      throw err;
    } finally {
      daemon.killGroup();
      gst.killGroup();
      await Promise.all([daemon.exited, gst.exited]);
    }
  });
}

interface StartupRun { startupMs: number; memory: BenchResult | null }

async function startOnce(withMemory: boolean): Promise<StartupRun> {
  return withTempDir('vigil-bench-start-', async (dir) => {
    const { configPath, dataDir } = writeBenchConfig(dir);
    const t0 = performance.now();
    const daemon = new Detached(process.execPath, [VIGILD, '--config', configPath], path.join(dir, 'vigild.log'));
    try {
      await pollUntil('the first segment row', () => {
        const rows = readIndex(dataDir, true);
        return rows && rows.length > 0 ? rows.length : null;
      }, STARTUP_TIMEOUT_MS, 50, () => (daemon.alive ? null : 'vigild exited'));
      const startupMs = Math.round(performance.now() - t0);
      let memory: BenchResult | null = null;
      if (withMemory) {
        progress(`startup_and_memory: recording ${MEMORY_AFTER_MS / 1000} s before reading RSS`);
        await sleep(MEMORY_AFTER_MS);
        const childPid = (await daemonStatus(dataDir)).cameras[0]?.pid;
        if (!childPid) throw new Error('no camera child running after 30 s');
        const d = procMemory(daemon.pid);
        const c = procMemory(childPid);
        if (!d || !c) throw new Error('vigild or its camera child is gone');
        memory = {
          after_recording_s: MEMORY_AFTER_MS / 1000,
          daemon_rss_mib: d.rssMiB, child_rss_mib: c.rssMiB, total_rss_mib: round(d.rssMiB + c.rssMiB, 1),
          daemon_peak_rss_mib: d.hwmMiB, child_peak_rss_mib: c.hwmMiB,
        };
      }
      await daemon.stop('SIGTERM', STOP_TIMEOUT_MS);
      return { startupMs, memory };
    } catch (err) {
      progress(`startup_and_memory failed; vigild log tail:\n${tail(path.join(dir, 'vigild.log'))}`);
      throw err;
    } finally {
      daemon.killGroup();
      await daemon.exited;
    }
  });
}

async function startupAndMemory(machine: MachineInfo): Promise<BenchResult> {
  const runs: StartupRun[] = [];
  for (let i = 0; i < STARTUP_RUNS; i++) {
    progress(`startup_and_memory: start ${i + 1}/${STARTUP_RUNS}`);
    // Memory is read on the last run only: once is enough and each reading costs 30 s.
    runs.push(await startOnce(i === STARTUP_RUNS - 1));
  }
  const ms = runs.map((r) => r.startupMs);
  return {
    machine,
    camera: CAMERA_SETUP,
    startup_ms: ms,
    startup_ms_min: Math.min(...ms),
    startup_ms_median: median(ms),
    memory: runs[runs.length - 1]?.memory ?? null,
  };
}

export const recordingBenches: Bench[] = [
  { name: 'cpu_vs_gst_launch', group: 'recording', run: cpuVsGstLaunch },
  { name: 'frames_written_ratio', group: 'recording', run: framesWrittenRatio },
  { name: 'startup_and_memory', group: 'recording', run: startupAndMemory },
];
