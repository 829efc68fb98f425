// config.get: the effective config, defaults filled in, with secrets replaced by a marker.
import { z } from 'zod';
import type { Config } from '../../config/schema';
import { defineCommand, type CommandDef } from '../registry';
import type { CommandContext } from './context';

/** What config.get shows instead of a secret; config.set refuses it back as a value. */
export const REDACTED = '[redacted]';

export function redactConfig(config: Config): Config {
  const copy = structuredClone(config);
  if (copy.mqtt?.password !== undefined) copy.mqtt.password = REDACTED;
  return copy;
}

export const configGetCommand = (ctx: CommandContext): CommandDef => defineCommand({
  name: 'config.get',
  description: 'The effective config (defaults filled in, secrets redacted)',
  args: z.strictObject({}),
  handler: () => redactConfig(ctx.config),
});
