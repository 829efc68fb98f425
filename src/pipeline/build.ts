// The full recording pipeline for one camera. Its shape and element names are a contract
// with the camera child process (it looks up rate, wd, t, recq, rec, tapq and tap by name).
import path from 'node:path';
import type { CameraConfig } from '../config/schema';
import { launchElements } from './launch';
import type { Platform } from './platform';
import { renderEncoder, renderSource, resolveEncoder } from './resolve';
import type { Codec, TemplateSet } from './templates';

export interface ResolvedPipeline {
  camera: string;
  launch: string;
  encoder: { element: string; codec: Codec; hardware: boolean; reason: string };
  platform: Platform;
  /** Absolute path with %05d, as given to splitmuxsink. */
  segmentPattern: string;
  container: 'mpegts';
  extension: '.ts';
}

export interface BuildOptions {
  platform: Platform;
  elements: ReadonlySet<string>;
  templates: TemplateSet;
  segmentDir: string;
  /** Unique per pipeline start: splitmuxsink restarts its index at 0 and would overwrite. */
  runId: string;
}

const PARSER: Record<Codec, string> = { h264: 'h264parse', h265: 'h265parse' };
/** Used by name in a property (muxer=...), so launchElements cannot see it. */
const IMPLICIT_ELEMENTS = ['mpegtsmux'];
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * A positive rate as n/d for caps. Decimal config values (2.5, 0.2) are exact with a small
 * denominator; others get the closest fraction with a denominator up to 1000.
 */
export function toFraction(value: number): string {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`frame rate must be a positive number, got ${value}`);
  let best = { n: Math.max(1, Math.round(value)), d: 1 };
  let bestErr = Math.abs(best.n - value);
  for (let d = 1; d <= 1000 && bestErr > 1e-9; d++) {
    const n = Math.round(value * d);
    if (n < 1) continue;
    const err = Math.abs(n / d - value);
    if (err < bestErr - 1e-12) {
      best = { n, d };
      bestErr = err;
    }
  }
  return `${best.n}/${best.d}`;
}

function segmentLocation(segmentDir: string, runId: string): { pattern: string; launchValue: string } {
  if (!RUN_ID.test(runId)) throw new Error(`runId ${JSON.stringify(runId)} must match ${RUN_ID.source}`);
  const dir = path.resolve(segmentDir);
  // '%' would be read by splitmuxsink's printf-style pattern; quotes and backslashes would
  // break the launch string's quoting.
  if (/[%"\\\n\r\0]/.test(dir)) throw new Error(`segment directory ${JSON.stringify(dir)} must not contain %, quotes, backslashes or line breaks`);
  const pattern = path.join(dir, `${runId}_%05d.ts`);
  const plain = /^[A-Za-z0-9_./%+:@,-]+$/.test(pattern);
  return { pattern, launchValue: plain ? pattern : `"${pattern}"` };
}

export function buildPipeline(camera: CameraConfig, opts: BuildOptions): ResolvedPipeline {
  const ctx = { platform: opts.platform, elements: opts.elements, templates: opts.templates };
  const enc = resolveEncoder(camera.encoder.codec, camera.encoder.prefer, ctx);
  const source = renderSource(camera, ctx);
  const encoder = renderEncoder(enc, camera);
  const { pattern, launchValue } = segmentLocation(opts.segmentDir, opts.runId);

  const fps = camera.video.fps;
  const stallMs = Math.max(1, Math.round(camera.watchdog.stall_after_s * 1000));
  const segmentNs = Math.round(camera.recording.segment_seconds * 1e9);
  // videorate drop-only can only lower the rate; asking it for more than the camera delivers
  // fails caps negotiation, so the tap never exceeds the camera rate.
  const geo = tapGeometry(camera);
  const tapFps = toFraction(Math.min(geo.fps, fps));

  const head =
    `${source} ! videorate name=rate ! video/x-raw,framerate=${fps}/1` +
    ` ! watchdog name=wd timeout=${stallMs} ! tee name=t`;
  // Unbuffered filesink: a buffered one keeps up to 64 KB in user space, which a crash loses —
  // over a second of video at low bitrates. mpegtsmux pushes about one buffer per frame, so
  // this costs a few dozen write() calls a second.
  const record =
    't. ! queue name=recq max-size-buffers=0 max-size-bytes=0 max-size-time=3000000000' +
    ` ! ${encoder} ! ${PARSER[enc.codec]} config-interval=-1` +
    ` ! splitmuxsink name=rec location=${launchValue} max-size-time=${segmentNs} send-keyframe-requests=true muxer=mpegtsmux sink="filesink buffer-mode=unbuffered"`;
  // wait-on-eos=false: otherwise the appsink holds EOS until someone pulls its last sample,
  // and a stopped consumer would keep the final segment from ever being finalised.
  const tap =
    't. ! queue name=tapq leaky=downstream max-size-buffers=1 max-size-bytes=0 max-size-time=0' +
    ` ! videorate drop-only=true ! video/x-raw,framerate=${tapFps}` +
    ' ! videoscale add-borders=true ! videoconvert' +
    ` ! video/x-raw,format=RGB,width=${geo.width},height=${geo.height},pixel-aspect-ratio=1/1` +
    ' ! appsink name=tap drop=true max-buffers=1 sync=false emit-signals=false wait-on-eos=false';
  const launch = `${head}  ${record}  ${tap}`;

  const missing = [...launchElements(launch), ...IMPLICIT_ELEMENTS].filter((e) => !opts.elements.has(e));
  if (missing.length > 0) {
    throw new Error(`camera ${camera.name}: GStreamer elements missing from the registry: ${[...new Set(missing)].join(', ')}`);
  }

  return {
    camera: camera.name,
    launch,
    encoder: { element: enc.element, codec: enc.codec, hardware: enc.hardware, reason: enc.reason },
    platform: opts.platform,
    segmentPattern: pattern,
    container: 'mpegts',
    extension: '.ts',
  };
}

/** Hides the password of rtsp://user:password@host URIs; launch strings end up in logs. */
export function redactLaunch(launch: string): string {
  return launch.replace(/(rtsps?:\/\/[^\s"/@:]+):[^\s"/]*@/g, '$1:***@');
}

export function describePipeline(p: ResolvedPipeline): string {
  const hw = p.encoder.hardware ? 'hardware' : 'software';
  return (
    `camera ${p.camera} on ${p.platform}: ${p.encoder.codec} via ${p.encoder.element} (${hw}; ${p.encoder.reason}), ` +
    `${p.container} segments ${p.segmentPattern}\n  launch: ${redactLaunch(p.launch)}`
  );
}

/**
 * What the tap delivers: with detection configured, square frames of the model's input size at
 * the detection rate (GStreamer letterboxes, so Node never scales); otherwise the tap settings.
 */
export function tapGeometry(camera: CameraConfig): { fps: number; width: number; height: number } {
  const d = camera.detection;
  if (d?.enabled) return { fps: d.fps, width: d.model.input_size, height: d.model.input_size };
  return { fps: camera.tap.fps, width: camera.tap.width, height: camera.tap.height };
}
