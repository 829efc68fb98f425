// config.set: a partial change to the config file (merge rules in src/config/store.ts). The
// whole result is validated before anything is written; a refused change leaves the file and
// every stage as they were. An accepted one restarts only the stages it affects.
import { z } from 'zod';
import type { Config } from '../../config/schema';
import { ConfigChangeError, isPlainObject } from '../../config/store';
import { CommandError, defineCommand, type CommandDef } from '../registry';
import { REDACTED } from './config-get';
import type { CommandContext } from './context';

/** Identity and storage stay with the device: changing them remotely would orphan its footage or its enrolment. */
function refuseReadOnly(current: Config, changes: Record<string, unknown>): void {
  if (Object.hasOwn(changes, 'device')) {
    const d = changes.device;
    const id = isPlainObject(d) ? (Object.hasOwn(d, 'id') ? d.id : current.device.id) : null;
    if (id !== current.device.id) throw new CommandError('read_only', 'device.id cannot be changed remotely; re-enroll the device');
  }
  if (Object.hasOwn(changes, 'data_dir') && changes.data_dir !== current.data_dir) {
    throw new CommandError('read_only', 'data_dir cannot be changed remotely; it holds the footage and the index');
  }
}

/** A config.get result sent back as is would otherwise store the marker as the broker password. */
function refuseRedactedMarker(changes: Record<string, unknown>): void {
  const mqtt = changes.mqtt;
  if (isPlainObject(mqtt) && mqtt.password === REDACTED) {
    throw new CommandError('bad_args', `changes.mqtt.password: "${REDACTED}" is the marker config.get shows; send the real password or leave the key out`);
  }
}

export const configSetCommand = (ctx: CommandContext): CommandDef => defineCommand({
  name: 'config.set',
  description: 'Merges a partial change into the config file (objects merge, arrays and scalars replace, null deletes), validates, persists and applies it',
  args: z.strictObject({ changes: z.record(z.string(), z.unknown()) }),
  handler: async (a) => {
    refuseReadOnly(ctx.config, a.changes);
    refuseRedactedMarker(a.changes);
    try {
      return await ctx.applyConfigChanges(a.changes);
    } catch (err) {
      if (err instanceof ConfigChangeError) throw new CommandError(err.code, err.message);
      throw err;
    }
  },
});
