// Chooses the encoder and source template for a camera from what the registry actually has.
// Pure functions over (platform, element set, templates) so every board can be tested from
// a recorded gst-inspect listing.
import type { CameraConfig, EncoderConfig, SourceConfig } from '../config/schema';
import type { Platform } from './platform';
import {
  renderTemplate,
  TemplateError,
  type Codec,
  type EncoderCandidate,
  type SourceKind,
  type SourceTemplate,
  type TemplateSet,
} from './templates';

export type EncoderPreference = EncoderConfig['prefer'];

export interface ResolveContext {
  platform: Platform;
  elements: ReadonlySet<string>;
  templates: TemplateSet;
}

export interface EncoderChoice {
  element: string;
  codec: Codec;
  hardware: boolean;
  /** Why this encoder, for logs and the status API. */
  reason: string;
  /** The candidate's launch fragment, placeholders not yet filled (see renderEncoder). */
  launch: string;
  requires: readonly string[];
}

/** Platform candidates (hardware first), then generic's software ones not already listed. */
export function encoderCandidates(codec: Codec, platform: Platform, templates: TemplateSet): EncoderCandidate[] {
  const own = [...(templates[platform].encoders[codec] ?? [])];
  // Stable sort: the file's order decides among hardware (and among software) candidates.
  own.sort((a, b) => Number(b.hardware) - Number(a.hardware));
  const out = [...own];
  if (platform !== 'generic') {
    for (const c of templates.generic.encoders[codec] ?? []) {
      if (!c.hardware && !out.some((o) => o.element === c.element)) out.push(c);
    }
  }
  return out;
}

function missingFor(c: EncoderCandidate, elements: ReadonlySet<string>): string[] {
  return [c.element, ...c.requires].filter((e) => !elements.has(e));
}

/** "v4l2h264enc" or "nvv4l2h264enc (present, but nvvidconv missing)" for each candidate. */
function lookedFor(cands: readonly EncoderCandidate[], elements: ReadonlySet<string>): string {
  return cands
    .map((c) => {
      const missing = missingFor(c, elements);
      return elements.has(c.element) && missing.length > 0 ? `${c.element} (present, but ${missing.join(', ')} missing)` : c.element;
    })
    .join(', ');
}

function choice(c: EncoderCandidate, codec: Codec, reason: string): EncoderChoice {
  return { element: c.element, codec, hardware: c.hardware, reason, launch: c.launch, requires: c.requires };
}

export function resolveEncoder(codec: Codec, prefer: EncoderPreference, ctx: ResolveContext): EncoderChoice {
  const all = encoderCandidates(codec, ctx.platform, ctx.templates);
  const hw = all.filter((c) => c.hardware);
  const sw = all.filter((c) => !c.hardware);
  const usable = (c: EncoderCandidate): boolean => missingFor(c, ctx.elements).length === 0;
  const hwLooked = hw.length > 0 ? `looked for ${lookedFor(hw, ctx.elements)}` : `none known for platform ${ctx.platform}`;

  if (prefer === 'hardware') {
    const c = hw.find(usable);
    if (!c) throw new Error(`no hardware ${codec} encoder in the GStreamer registry (${hwLooked})`);
    return choice(c, codec, `hardware: ${c.element} present`);
  }

  if (prefer === 'software') {
    const idx = sw.findIndex(usable);
    const c = sw[idx];
    if (!c) throw new Error(`no software ${codec} encoder in the GStreamer registry (looked for ${lookedFor(sw, ctx.elements)})`);
    const skipped = sw.slice(0, idx).map((s) => s.element);
    const why = skipped.length > 0 ? `${skipped.join(', ')} unavailable, using ${c.element}` : `${c.element} present`;
    return choice(c, codec, `software: ${why}`);
  }

  const h = hw.find(usable);
  if (h) return choice(h, codec, `auto: hardware ${h.element} present`);
  const s = sw.find(usable);
  if (!s) {
    throw new Error(`no ${codec} encoder in the GStreamer registry (looked for ${lookedFor(all, ctx.elements)})`);
  }
  return choice(s, codec, `auto: no hardware ${codec} encoder (${hwLooked}), using software ${s.element}`);
}

export interface SourceChoice {
  kind: SourceKind;
  /** Which platform file supplied the template. */
  from: Platform;
  template: SourceTemplate;
}

export function resolveSource(kind: SourceKind, ctx: Pick<ResolveContext, 'platform' | 'templates'>): SourceChoice {
  const own = ctx.templates[ctx.platform].sources[kind];
  if (own) return { kind, from: ctx.platform, template: own };
  const generic = ctx.templates.generic.sources[kind];
  if (generic) return { kind, from: 'generic', template: generic };
  if (kind === 'csi') throw new Error(`source kind csi needs a Jetson or Raspberry Pi (platform is ${ctx.platform})`);
  throw new Error(`no pipeline template for source kind ${kind} on platform ${ctx.platform}`);
}

const RTSP_PROTOCOLS: Record<Extract<SourceConfig, { kind: 'rtsp' }>['transport'], string> = {
  tcp: 'tcp',
  udp: 'udp',
  // rtspsrc tries the flags in order tcp, udp; auto lets it fall back when one is blocked.
  auto: 'tcp+udp',
};

/** Placeholder values for a camera's source; the keys match SOURCE_VARS. */
export function sourceVars(camera: CameraConfig): Record<string, string | number> {
  const common = { width: camera.video.width, height: camera.video.height, fps: camera.video.fps };
  const s = camera.source;
  switch (s.kind) {
    case 'test':
      return { ...common, pattern: s.pattern };
    case 'v4l2':
      return { ...common, device: s.device };
    case 'csi':
      return { ...common, sensor_id: s.sensor_id };
    case 'rtsp':
      return { ...common, uri: s.uri, latency_ms: s.latency_ms, protocols: RTSP_PROTOCOLS[s.transport] };
    case 'file':
      return { ...common, path: s.path };
  }
}

/** Keyframes per GOP: also the granularity of segment cuts, so never below one frame. */
export function keyframeFrames(fps: number, keyframeIntervalS: number): number {
  return Math.max(1, Math.round(fps * keyframeIntervalS));
}

export function encoderVars(camera: CameraConfig): Record<string, number> {
  return {
    bitrate_kbps: camera.encoder.bitrate_kbps,
    bitrate_bps: camera.encoder.bitrate_kbps * 1000,
    keyframe_frames: keyframeFrames(camera.video.fps, camera.encoder.keyframe_interval_s),
    fps: camera.video.fps,
    width: camera.video.width,
    height: camera.video.height,
  };
}

/** The source fragment for a camera: template (+ overlay when asked for), placeholders filled. */
export function renderSource(camera: CameraConfig, ctx: Pick<ResolveContext, 'platform' | 'templates'>): string {
  const src = camera.source;
  const chosen = resolveSource(src.kind, ctx);
  // libcamerasrc picks cameras by libcamera id, not index: the first camera is the only one
  // reachable without that id, and silently recording the wrong camera would be worse.
  if (src.kind === 'csi' && ctx.platform === 'rpi' && src.sensor_id !== 0) {
    throw new Error(`camera ${camera.name}: sensor_id ${src.sensor_id} is not supported on Raspberry Pi (libcamerasrc selects by camera id; only sensor_id 0 works)`);
  }
  const where = `${chosen.from}.yaml sources.${src.kind}`;
  const vars = sourceVars(camera);
  let out = renderTemplate(chosen.template.launch, vars, `${where}.launch`);
  if (src.kind === 'test' && src.overlay) {
    if (!chosen.template.overlay) throw new TemplateError(`${where}: overlay requested but the template has no overlay fragment`);
    out += ` ! ${renderTemplate(chosen.template.overlay, vars, `${where}.overlay`)}`;
  }
  return out;
}

export function renderEncoder(enc: EncoderChoice, camera: CameraConfig): string {
  return renderTemplate(enc.launch, encoderVars(camera), `encoder ${enc.element}`);
}
