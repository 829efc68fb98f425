import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cameraSchema, type CameraConfig } from '../../src/config/schema';
import type { Platform } from '../../src/pipeline/platform';
import { parseInspectListing } from '../../src/pipeline/registry';
import { encoderCandidates, keyframeFrames, renderEncoder, renderSource, resolveEncoder } from '../../src/pipeline/resolve';
import { findPipelinesDir, loadTemplates, type Codec } from '../../src/pipeline/templates';

const ROOT = path.dirname(findPipelinesDir(__dirname));
const templates = loadTemplates();
const listing = (name: string): Set<string> =>
  parseInspectListing(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'registry', `${name}.txt`), 'utf8'));
const BOARDS = {
  jetson: { platform: 'jetson' as Platform, elements: listing('jetson-orin') },
  rpi4: { platform: 'rpi' as Platform, elements: listing('rpi4') },
  rpi5: { platform: 'rpi' as Platform, elements: listing('rpi5') },
  x86: { platform: 'generic' as Platform, elements: listing('x86-nohw') },
};
type Board = keyof typeof BOARDS;
const ctx = (board: Board, drop: string[] = []) => {
  const b = BOARDS[board];
  const elements = new Set([...b.elements].filter((e) => !drop.includes(e)));
  return { platform: b.platform, elements, templates };
};
const camera = (raw: Record<string, unknown>): CameraConfig => cameraSchema.parse({ name: 'cam1', ...raw });

describe('resolveEncoder on recorded registries', () => {
  // [board, codec, prefer] -> [element, hardware, reason]
  const table: Array<[Board, Codec, 'auto' | 'hardware' | 'software', string, boolean, string]> = [
    ['jetson', 'h264', 'auto', 'nvv4l2h264enc', true, 'auto: hardware nvv4l2h264enc present'],
    ['jetson', 'h265', 'auto', 'nvv4l2h265enc', true, 'auto: hardware nvv4l2h265enc present'],
    ['jetson', 'h264', 'hardware', 'nvv4l2h264enc', true, 'hardware: nvv4l2h264enc present'],
    ['jetson', 'h265', 'hardware', 'nvv4l2h265enc', true, 'hardware: nvv4l2h265enc present'],
    ['jetson', 'h264', 'software', 'x264enc', false, 'software: x264enc present'],
    ['jetson', 'h265', 'software', 'x265enc', false, 'software: x265enc present'],
    ['rpi4', 'h264', 'auto', 'v4l2h264enc', true, 'auto: hardware v4l2h264enc present'],
    ['rpi4', 'h265', 'auto', 'x265enc', false, 'auto: no hardware h265 encoder (none known for platform rpi), using software x265enc'],
    ['rpi4', 'h264', 'hardware', 'v4l2h264enc', true, 'hardware: v4l2h264enc present'],
    ['rpi4', 'h264', 'software', 'x264enc', false, 'software: x264enc present'],
    ['rpi4', 'h265', 'software', 'x265enc', false, 'software: x265enc present'],
    ['rpi5', 'h264', 'auto', 'x264enc', false, 'auto: no hardware h264 encoder (looked for v4l2h264enc), using software x264enc'],
    ['rpi5', 'h265', 'auto', 'x265enc', false, 'auto: no hardware h265 encoder (none known for platform rpi), using software x265enc'],
    ['rpi5', 'h264', 'software', 'x264enc', false, 'software: x264enc present'],
    ['x86', 'h264', 'auto', 'x264enc', false, 'auto: no hardware h264 encoder (none known for platform generic), using software x264enc'],
    ['x86', 'h265', 'auto', 'x265enc', false, 'auto: no hardware h265 encoder (none known for platform generic), using software x265enc'],
    ['x86', 'h264', 'software', 'x264enc', false, 'software: x264enc present'],
    ['x86', 'h265', 'software', 'x265enc', false, 'software: x265enc present'],
  ];
  for (const [board, codec, prefer, element, hardware, reason] of table) {
    it(`${board} ${codec} ${prefer} -> ${element}`, () => {
      const got = resolveEncoder(codec, prefer, ctx(board));
      assert.deepEqual({ element: got.element, codec: got.codec, hardware: got.hardware, reason: got.reason }, { element, codec, hardware, reason });
    });
  }

  const throwing: Array<[Board, Codec, string]> = [
    ['rpi5', 'h264', 'no hardware h264 encoder in the GStreamer registry (looked for v4l2h264enc)'],
    ['rpi4', 'h265', 'no hardware h265 encoder in the GStreamer registry (none known for platform rpi)'],
    ['rpi5', 'h265', 'no hardware h265 encoder in the GStreamer registry (none known for platform rpi)'],
    ['x86', 'h264', 'no hardware h264 encoder in the GStreamer registry (none known for platform generic)'],
    ['x86', 'h265', 'no hardware h265 encoder in the GStreamer registry (none known for platform generic)'],
  ];
  for (const [board, codec, message] of throwing) {
    it(`${board} ${codec} hardware throws`, () => {
      assert.throws(() => resolveEncoder(codec, 'hardware', ctx(board)), { message });
    });
  }

  it('jetson without nvvidconv: hardware encoder present but unusable, says why', () => {
    const c = ctx('jetson', ['nvvidconv']);
    const got = resolveEncoder('h265', 'auto', c);
    assert.equal(got.element, 'x265enc');
    assert.equal(got.reason, 'auto: no hardware h265 encoder (looked for nvv4l2h265enc (present, but nvvidconv missing)), using software x265enc');
    assert.throws(() => resolveEncoder('h264', 'hardware', c), { message: 'no hardware h264 encoder in the GStreamer registry (looked for nvv4l2h264enc (present, but nvvidconv missing))' });
  });

  it('falls back to openh264enc when x264enc is missing', () => {
    const c = ctx('x86', ['x264enc']);
    assert.equal(resolveEncoder('h264', 'software', c).reason, 'software: x264enc unavailable, using openh264enc');
    assert.equal(resolveEncoder('h264', 'auto', c).element, 'openh264enc');
  });

  it('throws when no encoder at all is present', () => {
    const c = { platform: 'rpi' as Platform, elements: new Set<string>(), templates };
    assert.throws(() => resolveEncoder('h264', 'auto', c), { message: 'no h264 encoder in the GStreamer registry (looked for v4l2h264enc, x264enc, openh264enc)' });
    assert.throws(() => resolveEncoder('h265', 'software', c), { message: 'no software h265 encoder in the GStreamer registry (looked for x265enc)' });
  });

  it('orders candidates: platform hardware first, then generic software', () => {
    assert.deepEqual(encoderCandidates('h264', 'jetson', templates).map((c) => c.element), ['nvv4l2h264enc', 'x264enc', 'openh264enc']);
    assert.deepEqual(encoderCandidates('h265', 'rpi', templates).map((c) => c.element), ['x265enc']);
  });

  it('renders encoder numbers in each element unit', () => {
    const cam = camera({ source: { kind: 'test' }, video: { fps: 25 }, encoder: { bitrate_kbps: 3000, keyframe_interval_s: 2 } });
    const x264 = renderEncoder(resolveEncoder('h264', 'software', ctx('x86')), cam);
    assert.equal(x264, 'videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=3000 key-int-max=50 ! video/x-h264,profile=main');
    const nv = renderEncoder(resolveEncoder('h264', 'auto', ctx('jetson')), cam);
    assert.match(nv, /nvv4l2h264enc bitrate=3000000 iframeinterval=50 idrinterval=50 insert-sps-pps=true/);
    const pi = renderEncoder(resolveEncoder('h264', 'auto', ctx('rpi4')), cam);
    assert.match(pi, /extra-controls="controls,video_bitrate=3000000,h264_i_frame_period=50,repeat_sequence_header=1"/);
    const oh = renderEncoder(resolveEncoder('h264', 'auto', ctx('x86', ['x264enc'])), cam);
    assert.match(oh, /openh264enc rate-control=bitrate complexity=low bitrate=3000000 gop-size=50/);
  });

  it('keyframe interval in frames is rounded and at least one', () => {
    assert.equal(keyframeFrames(30, 1), 30);
    assert.equal(keyframeFrames(25, 0.5), 13);
    assert.equal(keyframeFrames(10, 0.01), 1);
  });
});

describe('source templates', () => {
  it('csi needs a Jetson or a Raspberry Pi', () => {
    const cam = camera({ source: { kind: 'csi' } });
    assert.throws(() => renderSource(cam, ctx('x86')), /source kind csi needs a Jetson or Raspberry Pi/);
    assert.equal(
      renderSource(camera({ source: { kind: 'csi', sensor_id: 1 }, video: { width: 1920, height: 1080, fps: 30 } }), ctx('jetson')),
      'nvarguscamerasrc sensor-id=1 ! video/x-raw(memory:NVMM),width=1920,height=1080,framerate=30/1,format=NV12 ! nvvidconv ! video/x-raw,format=I420',
    );
    assert.match(renderSource(cam, ctx('rpi4')), /^libcamerasrc ! video\/x-raw,width=1280,height=720,framerate=30\/1,format=NV12$/);
    assert.throws(() => renderSource(camera({ source: { kind: 'csi', sensor_id: 1 } }), ctx('rpi5')), /sensor_id 1 is not supported on Raspberry Pi/);
  });

  it('falls back to generic templates for kinds a platform does not override', () => {
    const rtsp = camera({ source: { kind: 'rtsp', uri: 'rtsp://10.0.0.5:554/stream1', transport: 'auto', latency_ms: 300 } });
    const onPi = renderSource(rtsp, ctx('rpi4'));
    assert.equal(onPi, 'rtspsrc location="rtsp://10.0.0.5:554/stream1" latency=300 protocols=tcp+udp ! application/x-rtp,media=video ! decodebin ! videoconvert ! videoscale ! video/x-raw,width=1280,height=720');
    assert.match(renderSource(rtsp, ctx('jetson')), /decodebin ! nvvidconv ! video\/x-raw,format=I420,width=1280,height=720$/);
    const v4l2 = renderSource(camera({ source: { kind: 'v4l2', device: '/dev/video2' }, video: { fps: 15 } }), ctx('jetson'));
    assert.equal(v4l2, 'v4l2src device="/dev/video2" ! videoconvert ! videoscale ! videorate ! video/x-raw,width=1280,height=720,framerate=15/1');
  });

  it('paces file sources and adds the overlay only when asked', () => {
    const file = renderSource(camera({ source: { kind: 'file', path: '/srv/demo clip.mp4' } }), ctx('x86'));
    assert.equal(file, 'filesrc location="/srv/demo clip.mp4" ! decodebin ! videoconvert ! videoscale ! video/x-raw,width=1280,height=720 ! clocksync');
    const plain = renderSource(camera({ source: { kind: 'test', pattern: 'smpte', overlay: false } }), ctx('x86'));
    assert.equal(plain, 'videotestsrc is-live=true pattern=smpte ! video/x-raw,width=1280,height=720,framerate=30/1');
    const withClock = renderSource(camera({ source: { kind: 'test' } }), ctx('x86'));
    assert.match(withClock, /^videotestsrc is-live=true pattern=ball ! video\/x-raw,width=1280,height=720,framerate=30\/1 ! clockoverlay .*time-format="%Y-%m-%d %H:%M:%S %Z"$/);
  });
});
