// segments.list: what footage the index holds for one camera in a time range.
import { z } from 'zod';
import { CommandError, defineCommand, type CommandDef } from '../registry';
import { cameraName, isoTime, requireCamera } from './args';
import type { CommandContext } from './context';

export const segmentsListCommand = (ctx: CommandContext): CommandDef => defineCommand({
  name: 'segments.list',
  description: 'Segments of one camera overlapping a time range, oldest first',
  args: z.strictObject({
    camera: cameraName,
    since: isoTime.optional(),
    until: isoTime.optional(),
    limit: z.number().int().min(1).max(10000).default(100),
  }),
  handler: (a) => {
    requireCamera(ctx, a.camera);
    const from = a.since ? Date.parse(a.since) : 0;
    const to = a.until ? Date.parse(a.until) : Number.MAX_SAFE_INTEGER;
    if (from >= to) throw new CommandError('bad_args', 'since must be before until');
    return ctx.listSegments(a.camera, from, to, a.limit);
  },
});
