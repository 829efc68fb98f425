// health.now: the health report on demand, instead of waiting for the next periodic one.
import { z } from 'zod';
import { defineCommand, type CommandDef } from '../registry';
import type { CommandContext } from './context';

export const healthNowCommand = (ctx: CommandContext): CommandDef => defineCommand({
  name: 'health.now',
  description: 'Collects and returns the health report now',
  args: z.strictObject({}),
  handler: () => ctx.health(),
});
