// clip.create: a clip of one camera's loop, [start, end] or now − pre_s … now + post_s. Refused
// when the window starts before the oldest footage (the error names it) or exceeds clips.max_s.
// A window that ends in the future is accepted as `pending` and built once its footage closes.
import { z } from 'zod';
import { clipView } from '../../clips/clip-store';
import { CommandError, defineCommand, type CommandDef } from '../registry';
import { cameraName, isoTime, requireCamera } from './args';
import { clipsOf } from './clip-id';
import type { CommandContext } from './context';

const iso = (ms: number): string => new Date(ms).toISOString();

export const clipCreateCommand = (ctx: CommandContext): CommandDef => defineCommand({
  name: 'clip.create',
  description: 'Cuts a clip from the loop (remux, no re-encode): start/end ISO-8601 UTC, or now − pre_s … now + post_s',
  args: z.strictObject({
    camera: cameraName,
    start: isoTime.optional(),
    end: isoTime.optional(),
    pre_s: z.number().min(0).max(3600).optional(),
    post_s: z.number().min(0).max(3600).optional(),
    reason: z.string().min(1).max(200).default('command'),
    lock: z.boolean().default(false),
  }),
  handler: (a) => {
    requireCamera(ctx, a.camera);
    const cam = ctx.config.cameras.find((c) => c.name === a.camera);
    const clips = clipsOf(ctx);
    const now = Date.now();
    if ((a.start !== undefined || a.end !== undefined) && (a.pre_s !== undefined || a.post_s !== undefined)) {
      throw new CommandError('bad_args', 'give start/end or pre_s/post_s, not both');
    }
    const startMs = a.start !== undefined ? Date.parse(a.start) : now - (a.pre_s ?? cam?.clips.pre_s ?? 10) * 1000;
    const endMs = a.end !== undefined ? Date.parse(a.end) : a.start !== undefined ? startMs + (cam?.clips.post_s ?? 10) * 1000 : now + (a.post_s ?? cam?.clips.post_s ?? 10) * 1000;
    if (endMs <= startMs) throw new CommandError('bad_args', `end ${iso(endMs)} must be after start ${iso(startMs)}`);
    const maxS = cam?.clips.max_s ?? 300;
    if (endMs - startMs > maxS * 1000) {
      throw new CommandError('too_long', `window of ${(endMs - startMs) / 1000} s exceeds clips.max_s ${maxS} s for camera "${a.camera}"`);
    }
    // A post-roll into the future is normal; a whole window far in the future is a mistake.
    if (startMs > now + maxS * 1000) throw new CommandError('out_of_range', `start ${iso(startMs)} is more than clips.max_s ${maxS} s in the future`);
    const oldest = clips.oldestFootageMs(a.camera);
    if (oldest === null) throw new CommandError('out_of_range', `camera "${a.camera}" has no footage in the loop yet`);
    if (startMs < oldest) throw new CommandError('out_of_range', `start ${iso(startMs)} is before the oldest footage ${iso(oldest)} of camera "${a.camera}"`);
    return clipView(clips.create({ camera: a.camera, startMs, endMs, reason: a.reason, lock: a.lock }));
  },
});
