// clip.lock: a locked clip is never deleted by the clip quota (pressure raises a `quota` event).
import { z } from 'zod';
import { clipView } from '../../clips/clip-store';
import { defineCommand, type CommandDef } from '../registry';
import { clipId, clipsOf, requireClip } from './clip-id';
import type { CommandContext } from './context';

export const clipLockCommand = (ctx: CommandContext): CommandDef => defineCommand({
  name: 'clip.lock',
  description: 'Locks (default) or unlocks a clip; locked clips are never deleted by retention',
  args: z.strictObject({ id: clipId, locked: z.boolean().default(true) }),
  handler: async (a) => clipView(await clipsOf(ctx).setLocked(requireClip(ctx, a.id), a.locked)),
});
