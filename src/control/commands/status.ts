// status: the daemon's own view of its cameras, retention and index.
import { z } from 'zod';
import { defineCommand, type CommandDef } from '../registry';
import type { CommandContext } from './context';

export const statusCommand = (ctx: CommandContext): CommandDef => defineCommand({
  name: 'status',
  description: 'Cameras, disk, retention and segment totals',
  args: z.strictObject({}),
  handler: () => ctx.status(),
});
