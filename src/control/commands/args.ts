// Argument schemas and checks shared by several commands, so a camera name is validated the
// same way everywhere: by the config schema's own rule (which also refuses "../x" and the like),
// then against the cameras the config actually has.
import { z } from 'zod';
import { cameraSchema } from '../../config/schema';
import { CommandError } from '../registry';
import type { CommandContext } from './context';

/** The config's camera-name rule, reused so a name that can never exist is refused up front. */
export const cameraName = cameraSchema.shape.name;

export const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 time, e.g. 2026-11-21T10:00:00Z');

export function configuredCameras(ctx: CommandContext): string[] {
  return ctx.config.cameras.map((c) => c.name);
}

/** Throws unknown_camera (listing the known ones) unless `name` is in the config. */
export function requireCamera(ctx: CommandContext, name: string): void {
  const known = configuredCameras(ctx);
  if (!known.includes(name)) throw new CommandError('unknown_camera', `unknown camera "${name}"; known: ${known.join(', ')}`);
}

/** One named camera, or every configured camera when the argument is omitted. */
export function targetCameras(ctx: CommandContext, name: string | undefined): string[] {
  if (name === undefined) return configuredCameras(ctx);
  requireCamera(ctx, name);
  return [name];
}
