// clip.list: clips newest first, optionally of one camera or in one state.
import { z } from 'zod';
import { clipView } from '../../clips/clip-store';
import { defineCommand, type CommandDef } from '../registry';
import { cameraName, requireCamera } from './args';
import { clipsOf } from './clip-id';
import type { CommandContext } from './context';

export const clipListCommand = (ctx: CommandContext): CommandDef => defineCommand({
  name: 'clip.list',
  description: 'Clips newest first, optionally filtered by camera and state',
  args: z.strictObject({
    camera: cameraName.optional(),
    state: z.enum(['pending', 'building', 'ready', 'uploading', 'uploaded', 'failed']).optional(),
    limit: z.number().int().min(1).max(10000).default(100),
  }),
  handler: (a) => {
    if (a.camera !== undefined) requireCamera(ctx, a.camera);
    return clipsOf(ctx).list(a).map(clipView);
  },
});
