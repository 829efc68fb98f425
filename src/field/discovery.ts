// Camera discovery for `vigil cameras` and doctor: V4L2 devices with their modes, Jetson CSI
// sensors (VI capture nodes) and Raspberry Pi libcamera sensors. Works without the daemon.
// Tools in order of preference: v4l2-ctl (exact modes), gst-device-monitor-1.0 (always there
// with GStreamer), else a bare /dev/video* listing without capabilities.
import fs from 'node:fs';
import path from 'node:path';
import type { Platform } from '../pipeline/platform';
import { parseDeviceMonitor } from './device-monitor-parse';
import { runTool, type ToolRunner } from './exec';
import { isTegraCsi, parseFormatsExt, parseLibcameraList, parseListDevices, type CaptureMode } from './v4l2-parse';

export interface DiscoveredCamera {
  kind: 'v4l2' | 'csi';
  /** /dev/videoN, or null for a libcamera sensor addressed by index. */
  device: string | null;
  name: string;
  bus: string;
  modes: CaptureMode[];
  /** Processes that hold the device open (pid and command), from /proc. */
  busy: Array<{ pid: number; command: string }>;
  /** A `source:` block for config.yaml that records from this camera. */
  source: Record<string, unknown>;
}

export interface Discovery {
  method: 'v4l2-ctl' | 'gst-device-monitor' | 'dev-scan';
  cameras: DiscoveredCamera[];
  /** Why capabilities may be missing, e.g. "v4l2-ctl not installed". */
  notes: string[];
}

export interface DiscoveryOptions {
  platform: Platform;
  /** Filesystem root for /dev and /proc (tests). */
  root?: string;
  run?: ToolRunner;
}

/** /dev/video* nodes, sorted numerically. */
export function videoNodes(root = '/'): string[] {
  const dev = path.join(root, 'dev');
  let names: string[];
  try {
    names = fs.readdirSync(dev);
  } catch {
    return [];
  }
  return names.filter((n) => /^video\d+$/.test(n)).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5))).map((n) => `/dev/${n}`);
}

/** Processes with `device` open, by scanning /proc/<pid>/fd (complete only when run as root). */
export function holders(device: string, root = '/'): Array<{ pid: number; command: string }> {
  const proc = path.join(root, 'proc');
  const out: Array<{ pid: number; command: string }> = [];
  let pids: string[];
  try {
    pids = fs.readdirSync(proc).filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(path.join(proc, pid, 'fd'));
    } catch {
      continue; // the process exited, or belongs to another user
    }
    const holds = fds.some((fd) => {
      try {
        return fs.readlinkSync(path.join(proc, pid, 'fd', fd)) === device;
      } catch {
        return false;
      }
    });
    if (holds) {
      let command = '';
      try {
        command = fs.readFileSync(path.join(proc, pid, 'cmdline'), 'utf8').split('\0').filter(Boolean).join(' ');
      } catch {
        command = '?';
      }
      out.push({ pid: Number(pid), command });
    }
  }
  return out;
}

async function viaV4l2Ctl(opts: DiscoveryOptions, run: ToolRunner): Promise<DiscoveredCamera[] | null> {
  const list = await run('v4l2-ctl', ['--list-devices']);
  if (list.failure === 'ENOENT') return null;
  const cards = parseListDevices(list.stdout);
  const out: DiscoveredCamera[] = [];
  let csiIndex = 0;
  for (const card of cards) {
    for (const node of card.nodes.filter((n) => /^\/dev\/video\d+$/.test(n))) {
      const fmts = await run('v4l2-ctl', ['-d', node, '--list-formats-ext']);
      const modes = parseFormatsExt(fmts.stdout);
      // UVC cameras expose a second, metadata-only node: it has no capture formats.
      if (modes.length === 0) continue;
      const csi = opts.platform === 'jetson' && isTegraCsi(card);
      out.push({
        kind: csi ? 'csi' : 'v4l2', device: node, name: card.name, bus: card.bus, modes, busy: holders(node, opts.root),
        source: csi ? { kind: 'csi', sensor_id: csiIndex++ } : { kind: 'v4l2', device: node },
      });
    }
  }
  return out;
}

async function viaDeviceMonitor(opts: DiscoveryOptions, run: ToolRunner): Promise<DiscoveredCamera[] | null> {
  const res = await run('gst-device-monitor-1.0', ['Video/Source'], 15_000);
  if (res.failure === 'ENOENT') return null;
  return parseDeviceMonitor(res.stdout)
    .filter((d) => d.api === 'v4l2' && d.path)
    .map((d) => ({
      kind: 'v4l2' as const, device: d.path, name: d.name, bus: d.properties['device.bus_path'] ?? d.properties['device.bus'] ?? '',
      modes: d.modes, busy: holders(d.path as string, opts.root), source: { kind: 'v4l2', device: d.path },
    }));
}

/** Pi CSI sensors through libcamera; rpicam-hello on Bookworm images, libcamera-hello before. */
async function libcameraSensors(opts: DiscoveryOptions, run: ToolRunner): Promise<DiscoveredCamera[]> {
  for (const tool of ['rpicam-hello', 'libcamera-hello']) {
    const res = await run(tool, ['--list-cameras'], 15_000);
    if (res.failure === 'ENOENT') continue;
    return parseLibcameraList(`${res.stdout}\n${res.stderr}`).map((s) => ({
      kind: 'csi' as const, device: null, name: s.sensor, bus: 'libcamera', busy: [],
      modes: s.modes.map((m) => ({ format: 'bayer', width: m.width, height: m.height, fps: [m.fps] })),
      source: { kind: 'csi', sensor_id: s.index },
    }));
  }
  return [];
}

export async function discoverCameras(opts: DiscoveryOptions): Promise<Discovery> {
  const run = opts.run ?? runTool;
  const notes: string[] = [];
  let method: Discovery['method'] = 'v4l2-ctl';
  let cameras = await viaV4l2Ctl(opts, run);
  if (cameras === null) {
    notes.push('v4l2-ctl not installed (apt install v4l-utils); using gst-device-monitor-1.0');
    method = 'gst-device-monitor';
    cameras = await viaDeviceMonitor(opts, run);
  }
  if (cameras === null) {
    notes.push('gst-device-monitor-1.0 not installed; listing /dev/video* without capabilities');
    method = 'dev-scan';
    cameras = videoNodes(opts.root).map((node) => ({ kind: 'v4l2' as const, device: node, name: path.basename(node), bus: '', modes: [], busy: holders(node, opts.root), source: { kind: 'v4l2', device: node } }));
  }
  if (opts.platform === 'rpi') cameras.push(...(await libcameraSensors(opts, run)));
  if (cameras.length === 0) notes.push(`no camera found: no V4L2 capture device under /dev${opts.platform === 'generic' ? '' : ' and no CSI sensor'}`);
  return { method, cameras, notes };
}
