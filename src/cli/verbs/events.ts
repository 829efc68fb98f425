// vigil events tail [-f] [-n N]: the daemon's recent events; -f keeps polling events.recent with
// the last seq seen, like tail -f, until Ctrl-C.
import type { LoggedEvent } from '../../control/event-log';
import { EXIT, UsageError, type CliContext, type CliVerb } from '../verb';
import { intOption, parseVerbArgs } from './format';

const POLL_MS = 1000;

/** "2026-11-21T10:00:00.000Z #12 stage stage=camera:front state=restarting cause=..." */
export function describeEvent(e: LoggedEvent): string {
  const fields = Object.entries((e.data ?? {}) as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`);
  return `${new Date(e.ts).toISOString()} #${e.seq} ${e.type} ${fields.join(' ')}`.trimEnd();
}

async function fetch(ctx: CliContext, after: number, limit: number): Promise<{ events: LoggedEvent[]; last_seq: number } | null> {
  const res = await ctx.call('events.recent', { after, limit });
  if (res.status !== 'ok') {
    ctx.err(`${res.error?.code}: ${res.error?.message}\n`);
    return null;
  }
  return res.data as { events: LoggedEvent[]; last_seq: number };
}

export const eventsVerb: CliVerb = {
  name: 'events',
  usage: 'events tail [-f] [-n N]',
  summary: 'recent daemon events (in memory, last 500); -f follows new ones',
  async run(argv, ctx) {
    const [sub, ...rest] = argv;
    if (sub !== 'tail') throw new UsageError(sub ? `unknown events subcommand "${sub}" (only tail)` : 'events needs a subcommand: tail');
    const { values } = parseVerbArgs(rest, { follow: { type: 'boolean', short: 'f' }, lines: { type: 'string', short: 'n' } });
    const limit = intOption('lines', values.lines as string | undefined, 20, 500);
    // --json prints one event per line (NDJSON) so `-f --json` can be piped into jq.
    const print = (e: LoggedEvent): void => ctx.out(`${ctx.json ? JSON.stringify(e) : describeEvent(e)}\n`);
    const first = await fetch(ctx, 0, limit);
    if (!first) return EXIT.commandError;
    first.events.forEach(print);
    if (!values.follow) return EXIT.ok;
    let after = first.last_seq;
    let stop = false;
    const onSignal = (): void => void (stop = true);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    while (!stop) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (stop) break;
      const next = await fetch(ctx, after, 500);
      if (!next) return EXIT.commandError;
      // A restarted daemon starts counting again: show its events from the beginning.
      if (next.last_seq < after) {
        after = 0;
        continue;
      }
      next.events.forEach(print);
      after = next.last_seq;
    }
    return EXIT.ok;
  },
};
