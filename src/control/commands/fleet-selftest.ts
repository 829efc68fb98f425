// fleet.selftest: queues N selftest events so an operator can watch them arrive end to end.
import { z } from 'zod';
import { defineCommand, type CommandDef } from '../registry';
import type { CommandContext } from './context';

export const fleetSelftestCommand = (ctx: CommandContext): CommandDef => defineCommand({
  name: 'fleet.selftest',
  description: 'Appends `count` selftest events to the outbox',
  args: z.strictObject({ count: z.number().int().min(1).max(1000) }),
  handler: (a) => ctx.selftest(a.count),
});
