// clip.get: one clip, with its file, hash and upload progress.
import { z } from 'zod';
import { clipView } from '../../clips/clip-store';
import { defineCommand, type CommandDef } from '../registry';
import { clipId, clipsOf, requireClip } from './clip-id';
import type { CommandContext } from './context';

export const clipGetCommand = (ctx: CommandContext): CommandDef => defineCommand({
  name: 'clip.get',
  description: 'One clip by id',
  args: z.strictObject({ id: clipId }),
  handler: (a) => {
    const view = clipView(requireClip(ctx, a.id));
    const upload = clipsOf(ctx).uploader.progress().find((p) => p.id === a.id) ?? null;
    return { ...view, upload_progress: upload };
  },
});
