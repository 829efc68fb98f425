// recording.start: ends an operator pause; a camera already recording is left alone.
import { z } from 'zod';
import { CommandError, defineCommand, type CommandDef } from '../registry';
import { cameraName, targetCameras } from './args';
import type { CommandContext } from './context';

export const recordingStartCommand = (ctx: CommandContext): CommandDef => defineCommand({
  name: 'recording.start',
  description: 'Starts recording on one camera (or all when camera is omitted) that was stopped',
  args: z.strictObject({ camera: cameraName.optional() }),
  handler: async (a) => {
    const names = targetCameras(ctx, a.camera);
    // Asked by name, a disabled camera is an error; "all cameras" just reports it as disabled.
    if (a.camera !== undefined && ctx.config.cameras.find((c) => c.name === a.camera)?.enabled === false) {
      throw new CommandError('camera_disabled', `camera "${a.camera}" is disabled in the config; enable it with config.set`);
    }
    return { cameras: await ctx.startRecording(names) };
  },
});
