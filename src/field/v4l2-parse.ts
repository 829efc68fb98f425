// Pure parsers for the text the V4L2 and libcamera tools print, so discovery can be tested on
// captured output from boards (and cameras) that CI does not have.

/** One capture mode: pixel format, size and the frame rates the driver lists for it. */
export interface CaptureMode {
  format: string;
  width: number;
  height: number;
  /** Frames per second, highest first; empty when the driver gives a stepwise/continuous range. */
  fps: number[];
}

export interface ListedDevice {
  /** Card name, e.g. "HD Pro Webcam C920". */
  name: string;
  /** Bus info from the header, e.g. "usb-0000:00:14.0-1" or "platform:tegra-capture-vi:0". */
  bus: string;
  /** Every node the card owns (/dev/videoN, /dev/mediaN); the first video node captures. */
  nodes: string[];
}

/**
 * `v4l2-ctl --list-devices`:
 *   HD Pro Webcam C920 (usb-0000:00:14.0-1):
 *   \t/dev/video0
 *   \t/dev/media0
 * Headers end with "(bus):" ; nodes are indented.
 */
export function parseListDevices(text: string): ListedDevice[] {
  const out: ListedDevice[] = [];
  let cur: ListedDevice | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    if (/^\s/.test(line)) {
      if (cur) cur.nodes.push(line.trim());
      continue;
    }
    const m = /^(.*?)\s*\(([^()]*)\):\s*$/.exec(line) ?? /^(.*?):\s*$/.exec(line);
    if (!m) continue;
    cur = { name: (m[1] ?? '').trim(), bus: m[2] ?? '', nodes: [] };
    out.push(cur);
  }
  return out;
}

/**
 * `v4l2-ctl -d /dev/videoN --list-formats-ext`:
 *   [0]: 'YUYV' (YUYV 4:2:2)
 *       Size: Discrete 640x480
 *           Interval: Discrete 0.033s (30.000 fps)
 */
export function parseFormatsExt(text: string): CaptureMode[] {
  const modes: CaptureMode[] = [];
  let format: string | null = null;
  let mode: CaptureMode | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const fmt = /^\[\d+\]:\s*'([^']+)'/.exec(line);
    if (fmt) {
      format = fmt[1] ?? null;
      mode = null;
      continue;
    }
    const size = /^Size:\s*(?:Discrete|Stepwise|Continuous)\s+(\d+)x(\d+)/.exec(line);
    if (size && format) {
      mode = { format, width: Number(size[1]), height: Number(size[2]), fps: [] };
      modes.push(mode);
      continue;
    }
    const iv = /^Interval:\s*Discrete\s+[\d.]+s\s+\(([\d.]+)\s*fps\)/.exec(line);
    if (iv && mode) {
      const fps = Number(iv[1]);
      if (!mode.fps.includes(fps)) mode.fps.push(fps);
      mode.fps.sort((a, b) => b - a);
    }
  }
  return modes;
}

/** One sensor that libcamera (Raspberry Pi) reports. */
export interface LibcameraSensor {
  index: number;
  sensor: string;
  /** Native resolution from the header. */
  width: number;
  height: number;
  modes: Array<{ width: number; height: number; fps: number }>;
}

/**
 * `rpicam-hello --list-cameras` (or libcamera-hello on older images):
 *   0 : imx708 [4608x2592 10-bit RGGB] (/base/soc/i2c0mux/i2c@1/imx708@1a)
 *       Modes: 'SRGGB10_CSI2P' : 1536x864 [120.13 fps - (768, 432)/3072x1728 crop]
 *                                2304x1296 [56.03 fps - (0, 0)/4608x2592 crop]
 */
export function parseLibcameraList(text: string): LibcameraSensor[] {
  const out: LibcameraSensor[] = [];
  let cur: LibcameraSensor | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const head = /^\s*(\d+)\s*:\s*(\S+)\s*\[(\d+)x(\d+)/.exec(raw);
    if (head) {
      cur = { index: Number(head[1]), sensor: head[2] ?? '', width: Number(head[3]), height: Number(head[4]), modes: [] };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    for (const m of raw.matchAll(/(\d+)x(\d+)\s*\[([\d.]+)\s*fps/g)) {
      cur.modes.push({ width: Number(m[1]), height: Number(m[2]), fps: Number(m[3]) });
    }
  }
  return out;
}

/** Jetson CSI capture nodes are registered by the VI driver, not USB: "vi-output, imx219 9-0010 (platform:tegra-capture-vi:1)". */
export function isTegraCsi(dev: ListedDevice): boolean {
  return /tegra-capture-vi|vi-output/.test(`${dev.name} ${dev.bus}`);
}
