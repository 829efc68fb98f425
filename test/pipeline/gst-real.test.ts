// Runs the resolved launch strings through the real gst-launch-1.0 on this machine: the
// strings must parse, negotiate, record MPEG-TS segments and finish cleanly on EOS.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cameraSchema, type CameraConfig } from '../../src/config/schema';
import { buildPipeline } from '../../src/pipeline/build';
import { splitLaunch } from '../../src/pipeline/launch';
import { probeRegistry } from '../../src/pipeline/registry';
import { loadTemplates, type TemplateSet } from '../../src/pipeline/templates';

interface RunResult {
  code: number | null;
  output: string;
  seconds: number;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, output: `${stdout}\n${stderr}`, seconds: (Date.now() - started) / 1000 });
    });
  });
}

const gstLaunch = (launch: string, timeoutMs = 30_000): Promise<RunResult> => run('gst-launch-1.0', ['-e', ...splitLaunch(launch)], timeoutMs);

function segments(dir: string, runId: string): Array<{ name: string; size: number }> {
  return fs
    .readdirSync(dir)
    .filter((f) => new RegExp(`^${runId}_\\d{5}\\.ts$`).test(f))
    .sort()
    .map((name) => ({ name, size: fs.statSync(path.join(dir, name)).size }));
}

const camera = (raw: Record<string, unknown>): CameraConfig => cameraSchema.parse({ name: 'real', ...raw });

describe('real GStreamer runs', () => {
  let elements: ReadonlySet<string>;
  let templates: TemplateSet;
  let dir: string;
  before(async () => {
    elements = await probeRegistry();
    templates = loadTemplates();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-gst-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('records 2 s H.264 segments from a 320x240 10 fps test source and stops on EOS', async () => {
    const cam = camera({
      source: { kind: 'test', overlay: true },
      video: { width: 320, height: 240, fps: 10 },
      encoder: { codec: 'h264', bitrate_kbps: 500, keyframe_interval_s: 1 },
      recording: { segment_seconds: 2 },
      tap: { fps: 2.5, width: 160, height: 160 },
      watchdog: { stall_after_s: 5 },
    });
    const segDir = path.join(dir, 'h264');
    fs.mkdirSync(segDir);
    const p = buildPipeline(cam, { platform: 'generic', elements, templates, segmentDir: segDir, runId: 'run1' });
    assert.equal(p.encoder.element, 'x264enc');
    // 45 frames at 10 fps = 4.5 s of live video, then EOS.
    const limited = p.launch.replace('is-live=true', 'is-live=true num-buffers=45');
    assert.notEqual(limited, p.launch);

    const r = await gstLaunch(limited);
    assert.equal(r.code, 0, `gst-launch-1.0 failed:\n${r.output}`);
    assert.match(r.output, /Got EOS from element "pipeline0"/);
    // A clean EOS must not wait for the watchdog; live pacing makes it take ~4.5 s.
    assert.ok(r.seconds > 3.5 && r.seconds < 15, `took ${r.seconds} s`);
    assert.doesNotMatch(r.output, /Watchdog triggered/);

    const segs = segments(segDir, 'run1');
    assert.ok(segs.length >= 2 && segs.length <= 4, `segments: ${JSON.stringify(segs)}`);
    for (const s of segs) assert.ok(s.size > 1000, `${s.name} is ${s.size} bytes`);
    assert.equal(path.dirname(p.segmentPattern), segDir);

    const first = segs[0];
    assert.ok(first);
    const info = await run('gst-discoverer-1.0', [path.join(segDir, first.name)], 20_000);
    assert.equal(info.code, 0, info.output);
    assert.match(info.output, /MPEG-2 Transport Stream/);
    assert.match(info.output, /video #\d+: H\.264 \((Constrained Baseline|Baseline|Main) Profile\)/);
    assert.match(info.output, /Width: 320/);
    assert.match(info.output, /Height: 240/);
  });

  it('records H.265 with x265enc from a file source, paced in real time', async () => {
    const clip = path.join(dir, 'clip.mp4');
    const mk = await run('gst-launch-1.0', ['-q', 'videotestsrc', 'num-buffers=30', '!', 'video/x-raw,width=640,height=360,framerate=15/1', '!', 'x264enc', '!', 'mp4mux', '!', 'filesink', `location=${clip}`], 30_000);
    assert.equal(mk.code, 0, mk.output);
    const cam = camera({
      source: { kind: 'file', path: clip },
      video: { width: 320, height: 240, fps: 10 },
      encoder: { codec: 'h265', prefer: 'software', bitrate_kbps: 500 },
      recording: { segment_seconds: 2 },
    });
    const segDir = path.join(dir, 'h265');
    fs.mkdirSync(segDir);
    const p = buildPipeline(cam, { platform: 'generic', elements, templates, segmentDir: segDir, runId: 'run2' });
    assert.equal(p.encoder.element, 'x265enc');
    const r = await gstLaunch(p.launch);
    assert.equal(r.code, 0, `gst-launch-1.0 failed:\n${r.output}`);
    // 30 frames at 15 fps: a 2 s clip must take about 2 s, not be decoded in a burst.
    assert.ok(r.seconds >= 1.7, `file source was not paced: ${r.seconds} s`);
    const segs = segments(segDir, 'run2');
    assert.ok(segs.length >= 1 && segs.every((s) => s.size > 1000), JSON.stringify(segs));
    const first = segs[0];
    assert.ok(first);
    const info = await run('gst-discoverer-1.0', [path.join(segDir, first.name)], 20_000);
    assert.match(info.output, /H\.265 \(Main Profile\)/);
  });

  it('records with openh264enc when x264enc is unavailable', async () => {
    const cam = camera({ source: { kind: 'test', overlay: false }, video: { width: 320, height: 240, fps: 10 }, recording: { segment_seconds: 2 } });
    const segDir = path.join(dir, 'openh264');
    fs.mkdirSync(segDir);
    const noX264 = new Set([...elements].filter((e) => e !== 'x264enc'));
    const p = buildPipeline(cam, { platform: 'generic', elements: noX264, templates, segmentDir: segDir, runId: 'run3' });
    assert.equal(p.encoder.element, 'openh264enc');
    const r = await gstLaunch(p.launch.replace('is-live=true', 'is-live=true num-buffers=25'));
    assert.equal(r.code, 0, `gst-launch-1.0 failed:\n${r.output}`);
    const segs = segments(segDir, 'run3');
    assert.ok(segs.length >= 1 && segs.every((s) => s.size > 1000), JSON.stringify(segs));
  });

  it('v4l2 and rtsp templates parse and link; they fail only on the missing camera', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ kind: 'v4l2', device: '/dev/video99' }, /Cannot identify device '\/dev\/video99'/],
      [{ kind: 'rtsp', uri: 'rtsp://127.0.0.1:9/none', transport: 'auto' }, /Could not open resource|Failed to connect/],
    ];
    for (const [source, expected] of cases) {
      const cam = camera({ source, video: { width: 320, height: 240, fps: 10 } });
      const p = buildPipeline(cam, { platform: 'generic', elements, templates, segmentDir: path.join(dir, 'never'), runId: 'run4' });
      const r = await gstLaunch(p.launch, 20_000);
      assert.doesNotMatch(r.output, /erroneous pipeline|no property|no element|could not link/i, r.output);
      assert.match(r.output, expected, r.output);
    }
  });
});
