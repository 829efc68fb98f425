// stage.restart: restart one camera child, or run a retention pass now.
import { z } from 'zod';
import { CommandError, defineCommand, type CommandDef } from '../registry';
import type { CommandContext } from './context';

/** "retention" or "camera:<name>": a safe alphabet, so "../x" is refused before any lookup. */
const STAGE_NAME = /^[a-z][a-z0-9_-]{0,31}(:[a-z0-9][a-z0-9_-]{0,31})?$/;

export const stageRestartCommand = (ctx: CommandContext): CommandDef => defineCommand({
  name: 'stage.restart',
  description: 'Restarts a stage: "camera:<name>" (graceful stop, then a fresh process) or "retention" (a pass now)',
  args: z.strictObject({ stage: z.string().regex(STAGE_NAME, 'must be a stage name such as "camera:<name>" or "retention"') }),
  handler: (a) => {
    const known = ctx.stageNames();
    if (!known.includes(a.stage)) throw new CommandError('unknown_stage', `unknown stage "${a.stage}"; known: ${known.join(', ')}`);
    return ctx.restartStage(a.stage);
  },
});
