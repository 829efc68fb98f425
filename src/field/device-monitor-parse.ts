// Pure parser for `gst-device-monitor-1.0 Video/Source`, the fallback when v4l2-ctl is not
// installed; GStreamer is always there because vigil needs it anyway.
import type { CaptureMode } from './v4l2-parse';

export interface MonitoredDevice {
  name: string;
  deviceClass: string;
  /** device.path / api.v4l2.path; null for providers without one (libcamera). */
  path: string | null;
  /** v4l2, libcamera, ... from device.api. */
  api: string | null;
  modes: CaptureMode[];
  properties: Record<string, string>;
}

/** "(fraction)30/1" or a "{ (fraction)30/1, (fraction)15/1 }" list; ranges "[ 1/1, 30/1 ]" give their maximum. */
function parseFramerates(value: string): number[] {
  const out: number[] = [];
  for (const m of value.matchAll(/(\d+)\/(\d+)/g)) {
    const den = Number(m[2]);
    if (den > 0) out.push(Math.round((Number(m[1]) / den) * 1000) / 1000);
  }
  const uniq = [...new Set(out.filter((f) => f > 0))];
  if (/^\s*\[/.test(value) && uniq.length > 0) return [Math.max(...uniq)];
  return uniq.sort((a, b) => b - a);
}

/** One caps structure: "video/x-raw, format=(string)YUY2, width=(int)640, height=(int)480, framerate=(fraction)30/1". */
function parseCapsEntry(entry: string): CaptureMode | null {
  const media = /^\s*([a-z]+\/[\w.+-]+)/.exec(entry)?.[1];
  const width = /width=\(int\)(\d+)/.exec(entry)?.[1];
  const height = /height=\(int\)(\d+)/.exec(entry)?.[1];
  if (!media || !width || !height) return null;
  const format = /format=\(string\)([\w.]+)/.exec(entry)?.[1] ?? (media === 'image/jpeg' ? 'MJPG' : media);
  const rate = /framerate=(?:\(fraction\))?(\{[^}]*\}|\[[^\]]*\]|\d+\/\d+)/.exec(entry)?.[1] ?? '';
  return { format, width: Number(width), height: Number(height), fps: parseFramerates(rate) };
}

/** Property values may be quoted and backslash-escaped: "HD\ Pro\ Webcam". */
function unescape(v: string): string {
  return v.replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1');
}

export function parseDeviceMonitor(text: string): MonitoredDevice[] {
  const out: MonitoredDevice[] = [];
  let cur: MonitoredDevice | null = null;
  let section: 'caps' | 'properties' | null = null;
  let caps = '';
  const flushCaps = (): void => {
    if (cur && caps) {
      for (const entry of caps.split(';')) {
        const mode = parseCapsEntry(entry);
        if (mode) cur.modes.push(mode);
      }
    }
    caps = '';
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === 'Device found:') {
      flushCaps();
      cur = { name: '', deviceClass: '', path: null, api: null, modes: [], properties: {} };
      out.push(cur);
      section = null;
      continue;
    }
    if (!cur) continue;
    const field = /^(name|class|caps|properties)\s*:\s*(.*)$/.exec(line);
    if (field) {
      if (section === 'caps') flushCaps();
      const [, key, value = ''] = field;
      if (key === 'name') cur.name = value;
      else if (key === 'class') cur.deviceClass = value;
      section = key === 'caps' ? 'caps' : key === 'properties' ? 'properties' : null;
      if (key === 'caps') caps = value;
      continue;
    }
    if (line.startsWith('gst-launch-1.0')) {
      if (section === 'caps') flushCaps();
      section = null;
      continue;
    }
    if (section === 'caps' && line) caps += ` ${line}`;
    if (section === 'properties') {
      const prop = /^([\w.-]+)\s*=\s*(.*)$/.exec(line);
      if (prop?.[1]) cur.properties[prop[1]] = unescape(prop[2] ?? '');
    }
  }
  flushCaps();
  for (const d of out) {
    d.path = d.properties['api.v4l2.path'] ?? d.properties['device.path'] ?? null;
    d.api = d.properties['device.api'] ?? (d.path ? 'v4l2' : null);
  }
  return out;
}
