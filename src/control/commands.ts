// The command index: one factory per command, each in its own file under commands/, all
// registered into the one registry that every transport (Unix socket, MQTT) serves.
import type { CommandContext } from './commands/context';
import { configGetCommand } from './commands/config-get';
import { configSetCommand } from './commands/config-set';
import { eventsRecentCommand } from './commands/events-recent';
import { fleetSelftestCommand } from './commands/fleet-selftest';
import { healthNowCommand } from './commands/health-now';
import { pingCommand } from './commands/ping';
import { recordingStartCommand } from './commands/recording-start';
import { recordingStopCommand } from './commands/recording-stop';
import { segmentsListCommand } from './commands/segments-list';
import { stageRestartCommand } from './commands/stage-restart';
import { statusCommand } from './commands/status';
import { clipCreateCommand } from './commands/clip-create';
import { clipDeleteCommand } from './commands/clip-delete';
import { clipGetCommand } from './commands/clip-get';
import { clipListCommand } from './commands/clip-list';
import { clipLockCommand } from './commands/clip-lock';
import { clipUploadCommand } from './commands/clip-upload';
import { CommandRegistry, type CommandDef } from './registry';

export type { CommandContext } from './commands/context';

export const COMMANDS: ReadonlyArray<(ctx: CommandContext) => CommandDef> = [
  pingCommand,
  statusCommand,
  segmentsListCommand,
  healthNowCommand,
  recordingStartCommand,
  recordingStopCommand,
  stageRestartCommand,
  configGetCommand,
  configSetCommand,
  fleetSelftestCommand,
  eventsRecentCommand,
  clipCreateCommand,
  clipListCommand,
  clipGetCommand,
  clipDeleteCommand,
  clipLockCommand,
  clipUploadCommand,
];

export function buildCommands(ctx: CommandContext): CommandRegistry {
  const reg = new CommandRegistry();
  for (const make of COMMANDS) reg.register(make(ctx));
  return reg;
}
