// vigil cameras: the cameras this board can see and what they can do, found locally (works
// with the daemon down), with a ready `source:` line for config.yaml.
import { detectPlatform } from '../../pipeline/platform';
import { discoverCameras } from '../../field/discovery';
import { EXIT, type CliVerb } from '../verb';
import { parseVerbArgs, table } from './format';

/** Modes grouped per format: "YUYV 640x480@30/15, 1280x720@10". */
function modeLines(modes: Array<{ format: string; width: number; height: number; fps: number[] }>): string[] {
  const byFormat = new Map<string, string[]>();
  for (const m of modes) {
    const list = byFormat.get(m.format) ?? [];
    list.push(`${m.width}x${m.height}${m.fps.length ? `@${m.fps.map((f) => +f.toFixed(2)).join('/')}` : ''}`);
    byFormat.set(m.format, list);
  }
  return [...byFormat].map(([f, sizes]) => `${f}: ${sizes.join(', ')}`);
}

export const camerasVerb: CliVerb = {
  name: 'cameras',
  usage: 'cameras',
  summary: 'discovered V4L2 devices and CSI sensors with formats, sizes and rates (daemon not needed)',
  async run(argv, ctx) {
    parseVerbArgs(argv, {});
    const platform = detectPlatform(process.env.VIGIL_PLATFORM_ROOT ?? '/');
    const found = await discoverCameras({ platform });
    if (ctx.json) {
      ctx.out(`${JSON.stringify({ platform, ...found }, null, 2)}\n`);
      return EXIT.ok;
    }
    const out = [`platform ${platform}, discovered with ${found.method}`, ''];
    if (found.cameras.length > 0) {
      out.push(table(['DEVICE', 'KIND', 'NAME', 'BUS', 'BUSY'], found.cameras.map((c) => [
        c.device ?? `sensor ${String(c.source.sensor_id)}`, c.kind, c.name, c.bus, c.busy.length ? c.busy.map((b) => `pid ${b.pid}`).join(', ') : 'no',
      ])));
      for (const c of found.cameras) {
        out.push('', `${c.device ?? c.name}  source: ${JSON.stringify(c.source).replace(/"(\w+)":/g, '$1: ')}`);
        out.push(...(c.modes.length ? modeLines(c.modes).map((l) => `  ${l}`) : ['  (capabilities unknown)']));
      }
    }
    for (const n of found.notes) out.push(`note: ${n}`);
    ctx.out(`${out.join('\n')}\n`);
    return EXIT.ok;
  },
};
