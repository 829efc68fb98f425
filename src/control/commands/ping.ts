// ping: liveness check for the CLI and the fleet.
import { z } from 'zod';
import { defineCommand, type CommandDef } from '../registry';
import type { CommandContext } from './context';

export const pingCommand = (ctx: CommandContext): CommandDef => defineCommand({
  name: 'ping',
  description: 'Liveness check; answers with the daemon version and time',
  args: z.strictObject({}),
  handler: () => ({ pong: true, version: ctx.status().version, time: new Date().toISOString() }),
});
