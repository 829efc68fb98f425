// events.recent: the daemon's in-memory ring of recent bus events, for `vigil events tail [-f]`
// (which polls with `after` set to the last seq it printed) and the status screen.
import { z } from 'zod';
import { CommandError, defineCommand, type CommandDef } from '../registry';
import type { CommandContext } from './context';

export const eventsRecentCommand = (ctx: CommandContext): CommandDef => defineCommand({
  name: 'events.recent',
  description: 'Recent daemon events (in memory, last ~500) with seq greater than `after`, oldest first',
  args: z.strictObject({
    after: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(500).default(50),
  }),
  handler: (a) => {
    if (!ctx.eventLog) throw new CommandError('unavailable', 'this daemon keeps no event log');
    return ctx.eventLog.recent(a.after, a.limit);
  },
});
