// vigil status: what the daemon is doing now — cameras, stages, disk, fleet link, outbox and
// the last few events — in one screen.
import type { AppStatus } from '../../app';
import { formatSize } from '../../config/size';
import type { LoggedEvent } from '../../control/event-log';
import { EXIT, UsageError, type CliVerb } from '../verb';
import { describeEvent } from './events';
import { table } from './format';

const LAST_EVENTS = 5;

export function formatStatus(s: AppStatus, events: LoggedEvent[]): string {
  const out = [`vigild ${s.version} on ${s.device}, pid ${s.pid}, up ${s.uptimeS} s`, ''];
  out.push(table(['CAMERA', 'STATE', 'FPS IN', 'WRITTEN', 'ENCODER', 'SEGMENTS', 'RESTARTS', 'LAST CAUSE'], s.cameras.map((c) => {
    const seg = s.segments.find((x) => x.camera === c.camera);
    return [c.camera, c.state, c.fpsIn.toFixed(1), c.counters.framesOut, `${c.encoder}${c.degraded ? ' (degraded)' : ''}`, seg?.segments ?? 0, c.restarts, c.lastCause];
  })));
  if (s.detectors?.length) {
    out.push('', table(['DETECTOR', 'STATE', 'PROVIDER', 'FPS', 'INFER P50/P95 MS', 'DROPPED', 'RESTARTS', 'LAST CAUSE'], s.detectors.map((d) => {
      const k = d.counters;
      const cam = s.cameras.find((c) => c.camera === d.camera);
      return [d.camera, d.state, d.provider ?? '-', k ? k.fps.toFixed(1) : '-', k ? `${k.inferP50Ms ?? '-'}/${k.inferP95Ms ?? '-'}` : '-',
        (cam?.counters.tapDropped ?? 0) + (k?.staleDropped ?? 0), d.restarts, d.lastCause];
    })));
  }
  if (s.stages.length > 0) {
    out.push('', table(['STAGE', 'STATE', 'UPTIME', 'RESTARTS', 'LAST CAUSE'], s.stages.map((st) => [
      st.name, st.state, `${Math.max(0, Math.round((Date.now() - st.since) / 1000))} s`, st.restarts, st.last_cause,
    ])));
  }
  const d = s.retention.disk;
  out.push('', d ? `disk: ${s.retention.state}, ${formatSize(d.freeBytes)} free of ${formatSize(d.totalBytes)} (${d.freePercent}%), reserve ${formatSize(d.requiredBytes)}` : 'disk: not read yet');
  if (s.fleet) {
    const l = s.fleet.link;
    const o = s.fleet.outbox;
    out.push(`fleet link: ${l.state}${l.connected_since ? ` since ${l.connected_since}` : ''}, reconnects ${l.reconnects}${l.last_error ? `, last error: ${l.last_error}` : ''}`);
    out.push(`outbox: ${o.depth} events waiting (${formatSize(o.bytes)})${o.oldestMs ? `, oldest ${new Date(o.oldestMs).toISOString()}` : ''}${o.dropped ? `, ${o.dropped} dropped at the cap` : ''}`);
  } else {
    out.push('fleet link: none configured');
  }
  if (s.clips) {
    const c = s.clips;
    const counts = Object.entries(c.counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') || 'none';
    out.push(`clips: ${counts}; ${formatSize(c.bytes)} of ${formatSize(c.quota_bytes)} quota${c.building ? `; building ${c.building}` : ''}`);
    for (const u of c.uploads) {
      const pct = u.total_bytes > 0 ? Math.round((100 * u.bytes_sent) / u.total_bytes) : 0;
      out.push(`  upload ${u.id} to ${u.host}: attempt ${u.attempt}, ${pct}% of ${formatSize(u.total_bytes)}${u.next_retry ? `, next try ${u.next_retry}` : ''}${u.last_error ? `, last error: ${u.last_error}` : ''}`);
    }
  }
  out.push(`retention: deleted ${s.retention.deletedSegments} segments (${formatSize(s.retention.deletedBytes)})${s.retention.lastError ? `, last error: ${s.retention.lastError}` : ''}`);
  if (s.supervisor) out.push(`supervisor: event-loop lag p99 ${s.supervisor.loop_lag_p99_ms ?? '-'} ms, watchdog pings ${s.supervisor.watchdog_pings}`);
  out.push('', 'last events:');
  out.push(...(events.length > 0 ? events.map((e) => `  ${describeEvent(e)}`) : ['  (none since start)']));
  return `${out.join('\n')}\n`;
}

export const statusVerb: CliVerb = {
  name: 'status',
  usage: 'status',
  summary: 'cameras (state, fps in/written, encoder), stages, disk, fleet link, outbox, last events',
  async run(argv, ctx) {
    if (argv.length > 0) throw new UsageError(`unexpected argument "${argv[0]}"`);
    const res = await ctx.call('status');
    if (res.status !== 'ok') {
      ctx.err(`${res.error?.code}: ${res.error?.message}\n`);
      return EXIT.commandError;
    }
    // An older daemon without events.recent still gets a status screen.
    const ev = await ctx.call('events.recent', { limit: LAST_EVENTS });
    const events = ev.status === 'ok' ? (ev.data as { events: LoggedEvent[] }).events : [];
    if (ctx.json) ctx.out(`${JSON.stringify({ ...res, data: { ...(res.data as object), last_events: events } }, null, 2)}\n`);
    else ctx.out(formatStatus(res.data as AppStatus, events));
    return EXIT.ok;
  },
};
