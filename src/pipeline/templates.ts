// Pipeline templates are data (pipelines/<platform>.yaml) so a board quirk can be fixed
// without a firmware rebuild. Everything that can be checked without GStreamer is checked
// when the files load: shape, placeholders, launch grammar, and that `requires` names every
// helper element a candidate uses (the registry check relies on it).
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import type { EncoderConfig, SourceConfig } from '../config/schema';
import { launchElements, lintLaunch } from './launch';
import { PLATFORMS, type Platform } from './platform';

export type SourceKind = SourceConfig['kind'];
export type Codec = EncoderConfig['codec'];

export const SOURCE_KINDS: readonly SourceKind[] = ['test', 'v4l2', 'csi', 'rtsp', 'file'];
export const CODECS: readonly Codec[] = ['h264', 'h265'];

const COMMON_SOURCE_VARS = ['width', 'height', 'fps'] as const;
/** Placeholders a source template of each kind may use (values come from resolve.ts). */
export const SOURCE_VARS: Readonly<Record<SourceKind, readonly string[]>> = {
  test: [...COMMON_SOURCE_VARS, 'pattern'],
  v4l2: [...COMMON_SOURCE_VARS, 'device'],
  csi: [...COMMON_SOURCE_VARS, 'sensor_id'],
  rtsp: [...COMMON_SOURCE_VARS, 'uri', 'latency_ms', 'protocols'],
  file: [...COMMON_SOURCE_VARS, 'path'],
};
export const ENCODER_VARS: readonly string[] = ['bitrate_kbps', 'bitrate_bps', 'keyframe_frames', 'fps', 'width', 'height'];

export interface SourceTemplate {
  launch: string;
  /** Appended with ' ! ' when the source asks for a burnt-in clock (test sources). */
  overlay?: string;
}

export interface EncoderCandidate {
  element: string;
  requires: readonly string[];
  hardware: boolean;
  launch: string;
  /** The file the candidate came from, for messages. */
  from: Platform;
}

export interface PlatformTemplates {
  platform: Platform;
  file: string;
  sources: Partial<Record<SourceKind, SourceTemplate>>;
  encoders: Partial<Record<Codec, readonly EncoderCandidate[]>>;
}

export type TemplateSet = Readonly<Record<Platform, PlatformTemplates>>;

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const NAME = /^[A-Za-z0-9_][\w-]*$/;
const launchString = z.string().trim().min(1);
const sourceSchema = z.strictObject({ launch: launchString, overlay: launchString.optional() });
const candidateSchema = z.strictObject({
  element: z.string().regex(NAME),
  requires: z.array(z.string().regex(NAME)).optional(),
  hardware: z.boolean(),
  launch: launchString,
});
const fileSchema = z.strictObject({
  platform: z.enum(['generic', 'jetson', 'rpi']),
  sources: z
    .strictObject({
      test: sourceSchema.optional(),
      v4l2: sourceSchema.optional(),
      csi: sourceSchema.optional(),
      rtsp: sourceSchema.optional(),
      file: sourceSchema.optional(),
    })
    .optional(),
  encoders: z
    .strictObject({ h264: z.array(candidateSchema).optional(), h265: z.array(candidateSchema).optional() })
    .optional(),
});

/** `{name}` placeholders of a template; `{{` and `}}` are literal braces. */
export function placeholders(template: string): string[] {
  const names: string[] = [];
  const rest = template.replace(/\{\{|\}\}/g, '').replace(/\{([^{}]*)\}/g, (_m, name: string) => {
    names.push(name);
    return '';
  });
  if (/[{}]/.test(rest)) throw new TemplateError(`unbalanced '{' or '}' in template: ${template}`);
  return names;
}

export type TemplateVars = Readonly<Record<string, string | number>>;

/**
 * Fills `{name}` from vars. An unknown placeholder is an error, never an empty string: a
 * blank property value would still parse and record something subtly wrong.
 */
export function renderTemplate(template: string, vars: TemplateVars, where: string): string {
  placeholders(template); // brace balance
  return template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, name: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const key = name ?? '';
    if (!Object.prototype.hasOwnProperty.call(vars, key)) {
      throw new TemplateError(`${where}: unknown placeholder {${key}} (known: ${Object.keys(vars).sort().join(', ')})`);
    }
    const value = vars[key];
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new TemplateError(`${where}: {${key}} is not a finite number`);
      return String(value);
    }
    // A quote, backslash or line break would end or corrupt a quoted launch value.
    if (value === undefined || /["\\\n\r\0]/.test(value)) {
      throw new TemplateError(`${where}: value of {${key}} must not contain quotes, backslashes or line breaks`);
    }
    return value;
  });
}

function checkLaunch(launch: string, allowed: readonly string[], where: string): void {
  const unknown = placeholders(launch).filter((p) => !allowed.includes(p));
  if (unknown.length > 0) {
    throw new TemplateError(`${where}: unknown placeholder ${unknown.map((u) => `{${u}}`).join(', ')} (allowed: ${allowed.join(', ')})`);
  }
  const problems = lintLaunch(launch);
  if (problems.length > 0) throw new TemplateError(`${where}: malformed launch: ${problems.join('; ')}`);
}

/** Validates one platform file's text; `file` only labels messages. */
export function parseTemplates(text: string, expected: Platform, file = `${expected}.yaml`): PlatformTemplates {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new TemplateError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    throw new TemplateError(`${file}: ${lines.join('; ')}`);
  }
  const data = parsed.data;
  if (data.platform !== expected) throw new TemplateError(`${file}: says platform ${data.platform}, expected ${expected}`);

  const sources: Partial<Record<SourceKind, SourceTemplate>> = {};
  for (const kind of SOURCE_KINDS) {
    const t = data.sources?.[kind];
    if (!t) continue;
    checkLaunch(t.launch, SOURCE_VARS[kind], `${file} sources.${kind}.launch`);
    if (t.overlay !== undefined) checkLaunch(t.overlay, SOURCE_VARS[kind], `${file} sources.${kind}.overlay`);
    sources[kind] = t.overlay === undefined ? { launch: t.launch } : { launch: t.launch, overlay: t.overlay };
  }

  const encoders: Partial<Record<Codec, readonly EncoderCandidate[]>> = {};
  for (const codec of CODECS) {
    const list = data.encoders?.[codec];
    if (!list) continue;
    encoders[codec] = list.map((c, i) => {
      const where = `${file} encoders.${codec}[${i}] (${c.element})`;
      checkLaunch(c.launch, ENCODER_VARS, where);
      const used = launchElements(c.launch);
      const requires = c.requires ?? [];
      if (!used.includes(c.element)) throw new TemplateError(`${where}: launch does not use ${c.element}`);
      const unlisted = used.filter((e) => e !== c.element && !requires.includes(e));
      if (unlisted.length > 0) throw new TemplateError(`${where}: launch uses ${unlisted.join(', ')}; list them in requires`);
      return { element: c.element, requires, hardware: c.hardware, launch: c.launch, from: expected };
    });
  }
  return { platform: expected, file, sources, encoders };
}

/**
 * The repo's pipelines/ folder. Compiled code runs from dist/src/pipeline/ and sources from
 * src/pipeline/ (ts-node, tests), so walk up rather than assume a fixed depth.
 */
export function findPipelinesDir(start: string = __dirname): string {
  let dir = path.resolve(start);
  for (;;) {
    const candidate = path.join(dir, 'pipelines');
    if (fs.existsSync(path.join(candidate, 'generic.yaml'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new TemplateError(`pipeline templates not found: no pipelines/generic.yaml in ${start} or any parent folder`);
    }
    dir = parent;
  }
}

/** Loads all platform files; every one must exist so a missing file cannot silently drop hardware encoding. */
export function loadTemplates(dir?: string): TemplateSet {
  const base = dir ?? findPipelinesDir();
  const load = (p: Platform): PlatformTemplates => {
    const file = path.join(base, `${p}.yaml`);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new TemplateError(`cannot read pipeline templates ${file}: ${(err as Error).message}`);
    }
    return parseTemplates(text, p, file);
  };
  const entries = PLATFORMS.map((p) => [p, load(p)] as const);
  return Object.fromEntries(entries) as Record<Platform, PlatformTemplates>;
}
