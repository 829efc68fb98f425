// clip.delete: removes a clip's file and row (and cancels its upload). A locked clip must be
// unlocked first, so evidence is never deleted by a single slip.
import { z } from 'zod';
import { clipView } from '../../clips/clip-store';
import { CommandError, defineCommand, type CommandDef } from '../registry';
import { clipId, clipsOf, requireClip } from './clip-id';
import type { CommandContext } from './context';

export const clipDeleteCommand = (ctx: CommandContext): CommandDef => defineCommand({
  name: 'clip.delete',
  description: 'Deletes a clip (unlock it first if it is locked)',
  args: z.strictObject({ id: clipId }),
  handler: async (a) => {
    const row = requireClip(ctx, a.id);
    if (row.locked === 1) throw new CommandError('locked', `clip "${a.id}" is locked; clip.lock with locked: false first`);
    if (row.state === 'building') throw new CommandError('busy', `clip "${a.id}" is being built; delete it when it is ready`);
    await clipsOf(ctx).delete(row);
    return { ...clipView(row), state: 'deleted' };
  },
});
