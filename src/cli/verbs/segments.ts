// vigil segments [--camera NAME] [--since ISO] [--until ISO] [--limit N]: the indexed footage,
// one row per segment, every camera when --camera is omitted.
import type { AppStatus } from '../../app';
import { formatSize } from '../../config/size';
import type { SegmentRow } from '../../recording/segment-index';
import { EXIT, UsageError, type CliVerb } from '../verb';
import { intOption, iso, parseVerbArgs, table } from './format';

function isoArg(name: string, v: string | undefined): string | undefined {
  if (v !== undefined && Number.isNaN(Date.parse(v))) throw new UsageError(`--${name} must be an ISO-8601 time, e.g. 2026-11-21T10:00:00Z; got "${v}"`);
  return v;
}

export const segmentsVerb: CliVerb = {
  name: 'segments',
  usage: 'segments [--camera NAME] [--since ISO] [--until ISO] [--limit N]',
  summary: 'recorded segments in a time range, oldest first',
  async run(argv, ctx) {
    const { values } = parseVerbArgs(argv, { camera: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, limit: { type: 'string' } });
    const since = isoArg('since', values.since as string | undefined);
    const until = isoArg('until', values.until as string | undefined);
    const limit = intOption('limit', values.limit as string | undefined, 100, 10000);
    let cameras: string[];
    if (values.camera !== undefined) cameras = [values.camera as string];
    else {
      const st = await ctx.call('status');
      if (st.status !== 'ok') {
        ctx.err(`${st.error?.code}: ${st.error?.message}\n`);
        return EXIT.commandError;
      }
      cameras = (st.data as AppStatus).cameras.map((c) => c.camera);
    }
    const rows: SegmentRow[] = [];
    for (const camera of cameras) {
      const res = await ctx.call('segments.list', { camera, ...(since ? { since } : {}), ...(until ? { until } : {}), limit });
      if (res.status !== 'ok') {
        ctx.err(`${res.error?.code}: ${res.error?.message}\n`);
        return EXIT.commandError;
      }
      rows.push(...(res.data as SegmentRow[]));
    }
    rows.sort((a, b) => a.start_ms - b.start_ms);
    if (ctx.json) {
      ctx.out(`${JSON.stringify(rows, null, 2)}\n`);
      return EXIT.ok;
    }
    ctx.out(`${table(['CAMERA', 'START', 'DURATION', 'FRAMES', 'SIZE', 'STATE', 'PATH'], rows.map((r) => [
      r.camera, iso(r.start_ms), r.duration_ms === null ? null : `${(r.duration_ms / 1000).toFixed(1)} s`, r.frames, r.bytes === null ? null : formatSize(r.bytes),
      `${r.state}${r.protected ? ' (protected)' : ''}`, r.path,
    ]))}\n${rows.length} segment(s)\n`);
    return EXIT.ok;
  },
};
