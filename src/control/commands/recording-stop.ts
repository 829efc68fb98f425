// recording.stop: an operator pause. The camera finalises its segment and stays stopped, also
// across config changes, until recording.start; stopping a stopped camera is not an error.
import { z } from 'zod';
import { defineCommand, type CommandDef } from '../registry';
import { cameraName, targetCameras } from './args';
import type { CommandContext } from './context';

export const recordingStopCommand = (ctx: CommandContext): CommandDef => defineCommand({
  name: 'recording.stop',
  description: 'Stops recording on one camera (or all when camera is omitted), closing the open segment',
  args: z.strictObject({ camera: cameraName.optional() }),
  handler: async (a) => ({ cameras: await ctx.stopRecording(targetCameras(ctx, a.camera)) }),
});
