// The clip-id argument and its lookup, shared by the clip commands.
import { z } from 'zod';
import type { ClipRow } from '../../clips/clip-store';
import type { ClipService } from '../../clips/service';
import { CommandError } from '../registry';
import type { CommandContext } from './context';

export const clipId = z.string().regex(/^[A-Za-z0-9_.-]{1,96}$/, 'must be a clip id as clip.list shows it');

/** The clip service, or `unavailable` when this context has none. */
export function clipsOf(ctx: CommandContext): ClipService {
  if (!ctx.clipService) throw new CommandError('unavailable', 'no clip service');
  return ctx.clipService();
}

export function requireClip(ctx: CommandContext, id: string): ClipRow {
  const row = clipsOf(ctx).get(id);
  if (!row) throw new CommandError('unknown_clip', `unknown clip id "${id}"; clip.list shows the known ones`);
  return row;
}
