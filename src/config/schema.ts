// The whole configuration as one declaration: type, default, description and validation
// together. Every object is strict so a misspelt key is an error, not a silent default.
import { z } from 'zod';
import { parseSize } from './size';

export const CONFIG_VERSION = 1;

/** Names end up in file paths and MQTT topics: keep them to a safe alphabet. */
const CAMERA_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const sizeSchema = z
  .union([z.number(), z.string()])
  .transform((v, ctx) => {
    const n = parseSize(v);
    if (n === null) {
      ctx.addIssue({ code: 'custom', message: 'must be a size in bytes or a string like "2GB", "500MB"' });
      return z.NEVER;
    }
    return n;
  })
  .describe('Bytes, or a string with a binary unit: B, KB, MB, GB, TB (1 KB = 1024 B)');

const testSource = z.strictObject({
  kind: z.literal('test'),
  pattern: z.enum(['ball', 'smpte', 'snow', 'black', 'white', 'circular', 'gamut']).default('ball')
    .describe('videotestsrc pattern'),
  overlay: z.boolean().default(true).describe('Burn a wall-clock overlay into the picture'),
});
const v4l2Source = z.strictObject({
  kind: z.literal('v4l2'),
  device: z.string().regex(/^\/dev\/[A-Za-z0-9_/.-]+$/, 'must be a device path under /dev/').default('/dev/video0'),
});
const csiSource = z.strictObject({
  kind: z.literal('csi'),
  sensor_id: z.number().int().min(0).max(15).default(0).describe('CSI sensor index (Jetson sensor-id, Pi camera number)'),
});
const rtspSource = z.strictObject({
  kind: z.literal('rtsp'),
  uri: z.string().regex(/^rtsps?:\/\/[^\s"'!]+$/, 'must be an rtsp:// or rtsps:// URI without spaces or quotes'),
  latency_ms: z.number().int().min(0).max(10000).default(200),
  transport: z.enum(['tcp', 'udp', 'auto']).default('tcp'),
});
const fileSource = z.strictObject({
  kind: z.literal('file'),
  path: z.string().min(1).regex(/^[^"'!]+$/, 'must not contain quotes or "!"'),
  loop: z.boolean().default(true),
});

export const sourceSchema = z.discriminatedUnion('kind', [testSource, v4l2Source, csiSource, rtspSource, fileSource]);

export const videoSchema = z.strictObject({
  width: z.number().int().min(64).max(7680).default(1280),
  height: z.number().int().min(64).max(4320).default(720),
  fps: z.number().int().min(1).max(120).default(30),
});

export const encoderSchema = z.strictObject({
  codec: z.enum(['h264', 'h265']).default('h264'),
  bitrate_kbps: z.number().int().min(100).max(100000).default(4000),
  keyframe_interval_s: z.number().positive().max(10).default(1)
    .describe('Seconds between keyframes; also the granularity of segment cuts and clip starts'),
  prefer: z.enum(['auto', 'hardware', 'software']).default('auto')
    .describe('auto: hardware when the GStreamer registry has one, else software'),
});

export const recordingSchema = z.strictObject({
  segment_seconds: z.number().int().min(2).max(600).default(10),
});

export const tapSchema = z.strictObject({
  fps: z.number().positive().max(30).default(5).describe('Frames per second handed to detection'),
  width: z.number().int().min(32).max(1920).default(640),
  height: z.number().int().min(32).max(1920).default(640),
});

export const watchdogSchema = z.strictObject({
  stall_after_s: z.number().positive().max(300).default(5)
    .describe('A camera whose frames stop advancing for this long is restarted'),
});

export const cameraSchema = z.strictObject({
  name: z.string().regex(CAMERA_NAME, 'must match [a-z0-9][a-z0-9_-]{0,31}'),
  enabled: z.boolean().default(true),
  source: sourceSchema,
  video: videoSchema.default(videoSchema.parse({})),
  encoder: encoderSchema.default(encoderSchema.parse({})),
  recording: recordingSchema.default(recordingSchema.parse({})),
  tap: tapSchema.default(tapSchema.parse({})),
  watchdog: watchdogSchema.default(watchdogSchema.parse({})),
});

export const retentionSchema = z.strictObject({
  min_free_percent: z.number().min(0).max(90).default(10),
  min_free_bytes: sizeSchema.default(2 * 1024 ** 3),
  interval_s: z.number().int().min(1).max(3600).default(30).describe('Timer between checks (also runs at every segment close)'),
});

export const logSchema = z.strictObject({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
});

export const configSchema = z
  .strictObject({
    version: z.literal(CONFIG_VERSION).default(CONFIG_VERSION),
    device: z.strictObject({ id: z.string().regex(DEVICE_ID, 'must match [A-Za-z0-9][A-Za-z0-9_.-]{0,63}') }),
    data_dir: z.string().min(1).default('/var/lib/vigil'),
    log: logSchema.default(logSchema.parse({})),
    cameras: z.array(cameraSchema).min(1, 'at least one camera is required'),
    retention: retentionSchema.default(retentionSchema.parse({})),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.cameras.forEach((cam, i) => {
      const first = seen.get(cam.name);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['cameras', i, 'name'], message: `duplicate camera name (also cameras[${first}])` });
      } else seen.set(cam.name, i);
    });
  });

export type Config = z.output<typeof configSchema>;
export type CameraConfig = z.output<typeof cameraSchema>;
export type SourceConfig = z.output<typeof sourceSchema>;
export type EncoderConfig = z.output<typeof encoderSchema>;
export type RetentionConfig = z.output<typeof retentionSchema>;

/** JSON Schema of the config file, for the fleet controller to validate changes before sending them. */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
}
