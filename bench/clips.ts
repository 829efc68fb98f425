// Bench of issue "clips": time to build 10 s, 60 s and 300 s clips from 10 s loop segments of
// the dev camera (720p30, x264 ultrafast, 4000 kbps, 1 s GOP) by remux — the daemon's own
// ClipBuilder child process — against decode + x264 re-encode of the same footage, in one run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ClipBuilder } from '../src/clips/builder';
import { probeSegment } from '../src/recording/ts-probe';
import { progress, round, withTempDir } from './common';
import type { BenchResult } from './recording';

const SEGMENT_S = 10;
const LOOP_S = 310;
const CLIP_LENGTHS_S = [10, 60, 300];
/** Clips start off a segment boundary so the head is really trimmed at a keyframe. */
const START_OFFSET_MS = 2500;
const GST_TIMEOUT_MS = 300_000;

function gst(args: string[]): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('gst-launch-1.0', ['-q', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => void (err += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), GST_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Date.now() - t0);
      else reject(new Error(`gst-launch-1.0 exited ${code}: ${err.slice(-500)}`));
    });
  });
}

/** The loop as the camera writes it: splitmuxsink + mpegtsmux, 10 s per file. */
async function recordLoop(dir: string): Promise<string[]> {
  await gst(['videotestsrc', `num-buffers=${LOOP_S * 30}`, 'pattern=ball', '!', 'video/x-raw,width=1280,height=720,framerate=30/1,format=I420',
    '!', 'x264enc', 'tune=zerolatency', 'speed-preset=ultrafast', 'bitrate=4000', 'key-int-max=30', '!', 'video/x-h264,profile=main', '!', 'h264parse',
    '!', 'splitmuxsink', `location=${path.join(dir, 'seg_%05d.ts')}`, `max-size-time=${SEGMENT_S * 1e9}`, 'send-keyframe-requests=true', 'muxer=mpegtsmux']);
  return fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).sort().map((f) => path.join(dir, f));
}

/** Baseline: the same covering segments decoded and encoded again with the camera's settings. */
function reencodeArgs(files: string[], out: string): string[] {
  const args = ['concat', 'name=c', '!', 'avdec_h264', '!', 'videoconvert', '!', 'video/x-raw,format=I420', '!', 'x264enc', 'tune=zerolatency', 'speed-preset=ultrafast',
    'bitrate=4000', 'key-int-max=30', '!', 'video/x-h264,profile=main', '!', 'h264parse', '!', 'mp4mux', 'faststart=true', '!', 'filesink', `location=${out}`];
  for (const f of files) args.push('filesrc', `location=${f}`, '!', 'tsdemux', '!', 'h264parse', '!', 'c.');
  return args;
}

export async function benchClips(): Promise<BenchResult> {
  return withTempDir('vigil-bench-clips-', async (dir) => {
    const loopDir = path.join(dir, 'loop');
    fs.mkdirSync(loopDir);
    progress(`clips: recording a ${LOOP_S} s loop of ${SEGMENT_S} s segments (720p30)`);
    const files = await recordLoop(loopDir);
    // Wall clock of each segment from its own PTS span, back to back, as the index would hold it.
    let t = Date.UTC(2026, 0, 1);
    const segments = [];
    for (const f of files) {
      const p = await probeSegment(f);
      segments.push({ path: f, startMs: t, endMs: t + p.durationMs, frames: p.frames });
      t += p.durationMs;
    }
    const base = segments[0]?.startMs ?? 0;
    const builder = new ClipBuilder();
    const rows = [];
    for (const len of CLIP_LENGTHS_S) {
      const startMs = base + START_OFFSET_MS;
      const endMs = startMs + len * 1000;
      const covering = segments.filter((s) => s.startMs < endMs && s.endMs > startMs);
      const t0 = Date.now();
      const r = await builder.build({ segments: covering, startMs, endMs, out: path.join(dir, `remux_${len}.mp4`), tmpDir: path.join(dir, 'tmp') });
      const remuxMs = Date.now() - t0;
      progress(`clips: ${len} s remux ${remuxMs} ms; re-encoding for the baseline`);
      const reencodeMs = await gst(reencodeArgs(covering.map((s) => s.path), path.join(dir, `reencode_${len}.mp4`)));
      rows.push({
        clip_s: len, segments: covering.length, remux_ms: remuxMs, remux_mux_only_ms: r.muxMs, reencode_ms: reencodeMs,
        speedup: round(reencodeMs / remuxMs, 1), clip_bytes: r.bytes, frames: r.frames, actual_duration_s: round((r.endMs - r.startMs) / 1000, 3),
        start_shift_ms: startMs - r.startMs,
      });
      fs.rmSync(path.join(dir, `reencode_${len}.mp4`), { force: true });
    }
    return {
      setup: { video: '1280x720@30', encoder: 'x264enc ultrafast zerolatency 4000 kbps', keyframe_interval_s: 1, segment_seconds: SEGMENT_S, pattern: 'ball' },
      method: 'remux = ClipBuilder child (node worker: keyframe trim of head/tail segments, gst-launch tsdemux ! h264parse ! concat ! mp4mux faststart, sha256); reencode = gst-launch avdec_h264 ! x264enc of the covering segments',
      clips: rows,
    };
  });
}
