// The command table: one entry per command, each with its argument schema. Handlers stay
// thin and call into the module that owns the behaviour.
import { z } from 'zod';
import type { App } from '../app';
import { CommandError, CommandRegistry, defineCommand } from './registry';

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 time, e.g. 2026-11-21T10:00:00Z');

export function buildCommands(app: App): CommandRegistry {
  const reg = new CommandRegistry();
  const cameraNames = () => app.config.cameras.map((c) => c.name);

  reg.register(defineCommand({
    name: 'ping',
    description: 'Liveness check; answers with the daemon version and time',
    args: z.strictObject({}),
    handler: () => ({ pong: true, version: app.status().version, time: new Date().toISOString() }),
  }));

  reg.register(defineCommand({
    name: 'status',
    description: 'Cameras, disk, retention and segment totals',
    args: z.strictObject({}),
    handler: () => app.status(),
  }));

  reg.register(defineCommand({
    name: 'segments.list',
    description: 'Segments of one camera overlapping a time range, oldest first',
    args: z.strictObject({
      camera: z.string(),
      since: isoTime.optional(),
      until: isoTime.optional(),
      limit: z.number().int().min(1).max(10000).default(100),
    }),
    handler: (a) => {
      if (!cameraNames().includes(a.camera)) throw new CommandError('unknown_camera', `unknown camera "${a.camera}"; known: ${cameraNames().join(', ')}`);
      const from = a.since ? Date.parse(a.since) : 0;
      const to = a.until ? Date.parse(a.until) : Number.MAX_SAFE_INTEGER;
      if (from >= to) throw new CommandError('bad_args', 'since must be before until');
      return app.index.list(a.camera, from, to, a.limit);
    },
  }));

  return reg;
}
