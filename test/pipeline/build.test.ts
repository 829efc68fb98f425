import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cameraSchema, type CameraConfig } from '../../src/config/schema';
import { buildPipeline, describePipeline, redactLaunch, toFraction, type BuildOptions } from '../../src/pipeline/build';
import { lintLaunch } from '../../src/pipeline/launch';
import type { Platform } from '../../src/pipeline/platform';
import { parseInspectListing } from '../../src/pipeline/registry';
import { findPipelinesDir, loadTemplates } from '../../src/pipeline/templates';

const ROOT = path.dirname(findPipelinesDir(__dirname));
const templates = loadTemplates();
const listing = (name: string): Set<string> =>
  parseInspectListing(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'registry', `${name}.txt`), 'utf8'));
const x86 = listing('x86-nohw');
const jetson = listing('jetson-orin');
const rpi4 = listing('rpi4');
const camera = (raw: Record<string, unknown>): CameraConfig => cameraSchema.parse({ name: 'front', ...raw });
const opts = (platform: Platform, elements: ReadonlySet<string>, more: Partial<BuildOptions> = {}): BuildOptions => ({
  platform, elements, templates, segmentDir: '/var/lib/vigil/segments/front', runId: '20260101T000000000Z', ...more,
});

describe('buildPipeline', () => {
  it('produces the exact launch contract for a software test camera', () => {
    const cam = camera({
      source: { kind: 'test', overlay: false },
      video: { width: 640, height: 480, fps: 25 },
      encoder: { codec: 'h264', bitrate_kbps: 2000, keyframe_interval_s: 2 },
      recording: { segment_seconds: 6 },
      tap: { fps: 2.5, width: 320, height: 320 },
      watchdog: { stall_after_s: 2.5 },
    });
    const p = buildPipeline(cam, opts('generic', x86));
    assert.equal(
      p.launch,
      'videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=480,framerate=25/1' +
        ' ! videorate name=rate ! video/x-raw,framerate=25/1 ! watchdog name=wd timeout=2500 ! tee name=t' +
        '  t. ! queue name=recq max-size-buffers=0 max-size-bytes=0 max-size-time=3000000000' +
        ' ! videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=2000 key-int-max=50 ! video/x-h264,profile=main' +
        ' ! h264parse config-interval=-1' +
        ' ! splitmuxsink name=rec location=/var/lib/vigil/segments/front/20260101T000000000Z_%05d.ts max-size-time=6000000000 send-keyframe-requests=true muxer=mpegtsmux sink="filesink buffer-mode=unbuffered"' +
        '  t. ! queue name=tapq leaky=downstream max-size-buffers=1 max-size-bytes=0 max-size-time=0' +
        ' ! videorate drop-only=true ! video/x-raw,framerate=5/2 ! videoscale add-borders=true ! videoconvert' +
        ' ! video/x-raw,format=RGB,width=320,height=320,pixel-aspect-ratio=1/1' +
        ' ! appsink name=tap drop=true max-buffers=1 sync=false emit-signals=false wait-on-eos=false',
    );
    assert.deepEqual(p.encoder, { element: 'x264enc', codec: 'h264', hardware: false, reason: 'auto: no hardware h264 encoder (none known for platform generic), using software x264enc' });
    assert.equal(p.segmentPattern, '/var/lib/vigil/segments/front/20260101T000000000Z_%05d.ts');
    assert.equal(p.container, 'mpegts');
    assert.equal(p.extension, '.ts');
    assert.equal(p.platform, 'generic');
    assert.equal(p.camera, 'front');
    assert.deepEqual(lintLaunch(p.launch), []);
  });

  it('uses the hardware encoder and h265parse on a Jetson', () => {
    const cam = camera({ source: { kind: 'csi' }, encoder: { codec: 'h265', bitrate_kbps: 8000 }, recording: { segment_seconds: 10 } });
    const p = buildPipeline(cam, opts('jetson', jetson));
    assert.equal(p.encoder.element, 'nvv4l2h265enc');
    assert.equal(p.encoder.hardware, true);
    assert.match(p.launch, /^nvarguscamerasrc sensor-id=0 ! /);
    assert.match(p.launch, / ! nvvidconv ! video\/x-raw\(memory:NVMM\),format=NV12 ! nvv4l2h265enc bitrate=8000000 iframeinterval=30 idrinterval=30 .* ! h265parse config-interval=-1 ! splitmuxsink name=rec /);
    assert.match(p.launch, / max-size-time=10000000000 send-keyframe-requests=true muxer=mpegtsmux /);
    assert.match(p.launch, / watchdog name=wd timeout=5000 ! tee name=t /);
    assert.match(p.launch, /video\/x-raw,framerate=5\/1 ! videoscale add-borders=true ! videoconvert ! video\/x-raw,format=RGB,width=640,height=640,pixel-aspect-ratio=1\/1 ! appsink name=tap /);
    assert.deepEqual(lintLaunch(p.launch), []);
  });

  it('keeps the named elements in every platform/source combination', () => {
    const combos: Array<[Platform, ReadonlySet<string>, Record<string, unknown>]> = [
      ['rpi', rpi4, { kind: 'csi' }],
      ['rpi', rpi4, { kind: 'rtsp', uri: 'rtsp://cam.local/live' }],
      ['jetson', jetson, { kind: 'file', path: '/srv/a.mp4' }],
      ['generic', x86, { kind: 'v4l2' }],
    ];
    for (const [platform, elements, source] of combos) {
      const p = buildPipeline(camera({ source }), opts(platform, elements));
      for (const named of ['videorate name=rate', 'watchdog name=wd', 'tee name=t', 'queue name=recq', 'splitmuxsink name=rec', 'queue name=tapq', 'appsink name=tap']) {
        assert.ok(p.launch.includes(named), `${platform}/${String(source.kind)}: ${named}`);
      }
      assert.equal(p.launch.split('  t. ! ').length, 3, 'two tee branches');
      assert.deepEqual(lintLaunch(p.launch), [], `${platform}/${String(source.kind)}`);
    }
  });

  it('never asks the tap for more frames than the camera makes', () => {
    const p = buildPipeline(camera({ source: { kind: 'test' }, video: { fps: 4 }, tap: { fps: 10 } }), opts('generic', x86));
    assert.match(p.launch, /videorate drop-only=true ! video\/x-raw,framerate=4\/1 /);
  });

  it('resolves the segment folder to an absolute path and quotes it when needed', () => {
    const rel = buildPipeline(camera({ source: { kind: 'test' } }), opts('generic', x86, { segmentDir: 'data/seg' }));
    assert.equal(rel.segmentPattern, path.resolve('data/seg', '20260101T000000000Z_%05d.ts'));
    const spaced = buildPipeline(camera({ source: { kind: 'test' } }), opts('generic', x86, { segmentDir: '/mnt/usb disk/front', runId: 'r1' }));
    assert.ok(spaced.launch.includes('location="/mnt/usb disk/front/r1_%05d.ts" '));
    assert.throws(() => buildPipeline(camera({ source: { kind: 'test' } }), opts('generic', x86, { runId: 'a b' })), /runId "a b" must match/);
    assert.throws(() => buildPipeline(camera({ source: { kind: 'test' } }), opts('generic', x86, { segmentDir: '/data/100%' })), /must not contain %/);
  });

  it('names the elements missing from the registry', () => {
    const without = new Set([...x86].filter((e) => e !== 'watchdog' && e !== 'mpegtsmux'));
    assert.throws(() => buildPipeline(camera({ source: { kind: 'test' } }), opts('generic', without)), { message: 'camera front: GStreamer elements missing from the registry: watchdog, mpegtsmux' });
    const noRtsp = new Set([...rpi4].filter((e) => e !== 'rtspsrc'));
    assert.throws(() => buildPipeline(camera({ source: { kind: 'rtsp', uri: 'rtsp://x/y' } }), opts('rpi', noRtsp)), /missing from the registry: rtspsrc/);
  });

  it('propagates encoder errors (hardware required but absent)', () => {
    const cam = camera({ source: { kind: 'test' }, encoder: { prefer: 'hardware' } });
    assert.throws(() => buildPipeline(cam, opts('generic', x86)), /no hardware h264 encoder in the GStreamer registry/);
  });
});

describe('describePipeline', () => {
  it('summarises the choice and hides RTSP passwords', () => {
    const cam = camera({ source: { kind: 'rtsp', uri: 'rtsp://admin:s3cr3t@10.0.0.5:554/Streaming/101' } });
    const p = buildPipeline(cam, opts('rpi', rpi4));
    assert.ok(p.launch.includes('s3cr3t'), 'the launch string itself keeps the credentials');
    const text = describePipeline(p);
    assert.ok(!text.includes('s3cr3t'));
    assert.ok(text.includes('rtsp://admin:***@10.0.0.5:554/Streaming/101'));
    assert.match(text, /^camera front on rpi: h264 via v4l2h264enc \(hardware; auto: hardware v4l2h264enc present\), mpegts segments \/var\/lib\/vigil\/segments\/front\/20260101T000000000Z_%05d\.ts\n {2}launch: rtspsrc /);
    assert.equal(redactLaunch('rtspsrc location="rtsp://u:p@ss@h/x"'), 'rtspsrc location="rtsp://u:***@h/x"');
    assert.equal(redactLaunch('rtspsrc location="rtsp://h:554/x"'), 'rtspsrc location="rtsp://h:554/x"');
  });
});

describe('toFraction', () => {
  it('turns frame rates into caps fractions', () => {
    assert.equal(toFraction(5), '5/1');
    assert.equal(toFraction(2.5), '5/2');
    assert.equal(toFraction(0.2), '1/5');
    assert.equal(toFraction(0.5), '1/2');
    assert.equal(toFraction(1 / 3), '1/3');
    assert.equal(toFraction(29.97), '2997/100');
    assert.equal(toFraction(12.5), '25/2');
    assert.throws(() => toFraction(0), /positive/);
    assert.throws(() => toFraction(Number.POSITIVE_INFINITY), /positive/);
  });
});
