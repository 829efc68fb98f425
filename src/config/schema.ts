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

const LABEL = z.string().min(1).max(64);

export const detectionSchema = z.strictObject({
  enabled: z.boolean().default(true),
  fps: z.number().positive().max(30).default(5).describe('Frames per second handed to the detector (the tap rate)'),
  model: z.strictObject({
    kind: z.enum(['yolo', 'text']).describe('Model plugin: src/detection/models/<kind>.ts'),
    path: z.string().min(1).describe('ONNX file'),
    input_size: z.number().int().min(32).max(1920).default(640).describe('Square model input; the tap letterboxes frames to it'),
    labels: z.union([z.string().min(1), z.array(LABEL).min(1)]).default('coco')
      .describe('A built-in list name (coco), a file with one label per line, or an array'),
  }),
  providers: z.array(z.enum(['cpu', 'cuda', 'tensorrt'])).min(1).default(['cpu'])
    .describe('Execution providers in order of preference; unavailable ones fall back to cpu with a warning'),
  score_threshold: z.number().min(0).max(1).default(0.5),
  nms_iou: z.number().min(0).max(1).default(0.45),
  classes: z.array(LABEL).optional().describe('Labels to report; absent = all'),
  min_area: z.number().min(0).max(1).default(0.001).describe('Smallest box as a fraction of the frame'),
  zones: z.array(z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'must match [A-Za-z0-9_-]{1,32}'),
    points: z.array(z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)])).min(3, 'a zone needs at least 3 points'),
  })).default([]),
  event: z.strictObject({
    min_hits: z.number().int().min(1).max(100).default(3),
    lost_after_s: z.number().positive().max(600).default(5),
  }).default({ min_hits: 3, lost_after_s: 5 }),
  stall_after_s: z.number().positive().max(300).default(10).describe('A detector whose inferences stop advancing for this long is restarted'),
});

export const clipsSchema = z.strictObject({
  on: z.array(LABEL).default([]).describe('Detection labels that start a clip automatically'),
  pre_s: z.number().min(0).max(300).default(10),
  post_s: z.number().min(0).max(300).default(10),
  merge_gap_s: z.number().min(0).max(300).default(5).describe('Triggers closer than this extend one clip'),
  max_s: z.number().positive().max(3600).default(300).describe('Longest clip; longer requests are refused'),
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
  detection: detectionSchema.optional().describe('Object detection on the tap; absent = no detection'),
  clips: clipsSchema.default(clipsSchema.parse({})),
});

export const retentionSchema = z.strictObject({
  min_free_percent: z.number().min(0).max(90).default(10),
  min_free_bytes: sizeSchema.default(2 * 1024 ** 3),
  interval_s: z.number().int().min(1).max(3600).default(30).describe('Timer between checks (also runs at every segment close)'),
  clips_max_bytes: sizeSchema.default(1024 ** 3).describe('Quota for finished clips; unlocked clips beyond it go oldest first'),
});

export const mqttSchema = z
  .strictObject({
    url: z.string().regex(/^(mqtt|mqtts|ws|wss):\/\/[^\s/]+(:\d+)?(\/\S*)?$/, 'must be mqtt://, mqtts://, ws:// or wss:// host[:port]'),
    username: z.string().min(1).optional(),
    password: z.string().optional().describe('Prefer password_file: a config file is easier to leak'),
    password_file: z.string().min(1).optional(),
    client_id: z.string().min(1).max(128).optional().describe('Default: vigil-<device.id>'),
    tls: z.strictObject({
      ca: z.string().min(1).optional().describe('CA bundle (PEM) that signed the broker certificate'),
      cert: z.string().min(1).optional().describe('Client certificate (PEM) for mTLS'),
      key: z.string().min(1).optional().describe('Client private key (PEM) for mTLS'),
      reject_unauthorized: z.boolean().default(true),
    }).optional(),
    topic_prefix: z.string().regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'must be topic levels of [A-Za-z0-9_-] separated by "/" (no wildcards)').default('vigil'),
    protocol_version: z.union([z.literal(4), z.literal(5)]).default(5).describe('5 = MQTT v5, 4 = MQTT v3.1.1'),
    health_interval_s: z.number().int().min(1).max(3600).default(30),
    keepalive_s: z.number().int().min(5).max(1200).default(30),
    max_payload_bytes: z.number().int().min(256).max(1024 * 1024).default(65536).describe('Larger requests are refused'),
    rate_limit_per_min: z.number().int().min(1).max(6000).default(60).describe('Requests per command per minute'),
  })
  .superRefine((m, ctx) => {
    if (m.password !== undefined && m.password_file !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['password_file'], message: 'give password or password_file, not both' });
    }
    if (m.tls && (m.tls.cert === undefined) !== (m.tls.key === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['tls', m.tls.cert === undefined ? 'cert' : 'key'], message: 'tls.cert and tls.key go together' });
    }
  });

export const outboxSchema = z.strictObject({
  max_bytes: sizeSchema.default(64 * 1024 * 1024).describe('Cap on events waiting for the broker; beyond it telemetry goes first, then the oldest events, counted'),
});

export const supervisorSchema = z.strictObject({
  restart_budget: z.number().int().min(1).max(100).default(5)
    .describe('Camera crashes tolerated within budget_window_s; the next one escalates (software fallback, then exit)'),
  budget_window_s: z.number().int().min(1).max(86400).default(300).describe('Sliding window of the restart budget'),
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
    mqtt: mqttSchema.optional().describe('Fleet link; without it vigil runs standalone and queues events'),
    outbox: outboxSchema.default(outboxSchema.parse({})),
    supervisor: supervisorSchema.default(supervisorSchema.parse({})),
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
export type DetectionConfig = z.output<typeof detectionSchema>;
export type ClipsConfig = z.output<typeof clipsSchema>;
export type SourceConfig = z.output<typeof sourceSchema>;
export type EncoderConfig = z.output<typeof encoderSchema>;
export type RetentionConfig = z.output<typeof retentionSchema>;
export type MqttConfig = z.output<typeof mqttSchema>;
export type OutboxConfig = z.output<typeof outboxSchema>;

/** JSON Schema of the config file, for the fleet controller to validate changes before sending them. */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
}
