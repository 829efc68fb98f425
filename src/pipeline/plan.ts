// Startup glue: detect the board, probe the registry once and resolve every enabled camera.
// Resolution errors for all cameras are collected into one message so a bad config is fixed
// in one round trip instead of one camera at a time.
import type { CameraConfig, Config } from '../config/schema';
import type { Logger } from '../log';
import { segmentDir } from '../recording/segment-recorder';
import { buildPipeline, describePipeline, type ResolvedPipeline } from './build';
import { detectPlatform, type Platform } from './platform';
import { probeRegistry } from './registry';
import { loadTemplates, type TemplateSet } from './templates';

export interface CameraPlan {
  camera: CameraConfig;
  platform: Platform;
  encoder: ResolvedPipeline['encoder'];
  segmentPattern: (runId: string) => string;
  /** The launch string for one run; a fresh runId keeps splitmuxsink from reusing file names. */
  buildLaunch: (runId: string) => string;
}

export interface ResolveAllOptions {
  platform?: Platform;
  elements?: ReadonlySet<string>;
  templates?: TemplateSet;
  /** Root for platform detection (tests). */
  root?: string;
}

/** The runId used to validate a camera's pipeline before its first real run. */
const PROBE_RUN_ID = 'resolve';

export async function resolveAll(config: Config, log: Logger, opts: ResolveAllOptions = {}): Promise<CameraPlan[]> {
  const platform = opts.platform ?? detectPlatform(opts.root);
  const templates = opts.templates ?? loadTemplates();
  const elements = opts.elements ?? (await probeRegistry());
  log.info({ platform, elements: elements.size }, 'GStreamer registry probed');

  const plans: CameraPlan[] = [];
  const errors: string[] = [];
  for (const camera of config.cameras) {
    if (!camera.enabled) {
      log.info({ camera: camera.name }, 'camera disabled in config, not started');
      continue;
    }
    const build = (runId: string): ResolvedPipeline =>
      buildPipeline(camera, { platform, elements, templates, segmentDir: segmentDir(config.data_dir, camera.name), runId });
    try {
      const first = build(PROBE_RUN_ID);
      log.info({ camera: camera.name, encoder: first.encoder }, describePipeline(first));
      plans.push({
        camera,
        platform,
        encoder: first.encoder,
        segmentPattern: (runId) => build(runId).segmentPattern,
        buildLaunch: (runId) => build(runId).launch,
      });
    } catch (err) {
      errors.push(`camera ${camera.name}: ${(err as Error).message}`);
    }
  }
  if (errors.length > 0) throw new Error(`cannot build camera pipelines on ${platform}:\n  ${errors.join('\n  ')}`);
  return plans;
}
