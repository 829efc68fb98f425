// Camera devices present and not busy: every configured source is checked for what it needs
// (a V4L2 node nobody else holds, a CSI-capable board, a readable file, a reachable RTSP host).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { CameraConfig } from '../../config/schema';
import { holders, videoNodes } from '../discovery';
import { fail, pass, warn, type CheckResult, type DoctorContext } from '../check';

const RTSP_CONNECT_TIMEOUT_MS = 3000;

/** vigild's own camera children hold the device while recording: that is not "busy". */
const OURS = /vigild|camera-process|gst-launch-1\.0/;

function tcpReachable(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const sock = net.createConnection({ host, port });
    const done = (why: string | null): void => {
      sock.destroy();
      resolve(why);
    };
    sock.setTimeout(RTSP_CONNECT_TIMEOUT_MS, () => done(`no answer within ${RTSP_CONNECT_TIMEOUT_MS / 1000} s`));
    sock.once('connect', () => done(null));
    sock.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

async function checkCamera(cam: CameraConfig, ctx: DoctorContext): Promise<CheckResult> {
  const name = `camera ${cam.name}`;
  const src = cam.source;
  switch (src.kind) {
    case 'test':
      return pass(name, `test source (videotestsrc ${src.pattern}), no device needed`);
    case 'file':
      return fs.existsSync(src.path) ? pass(name, `file ${src.path}${src.loop ? ' (looped)' : ''}`) : fail(name, `file ${src.path} not found`, 'copy the demo file there or fix source.path');
    case 'rtsp': {
      const u = new URL(src.uri);
      const port = Number(u.port || (u.protocol === 'rtsps:' ? 322 : 554));
      const why = await tcpReachable(u.hostname, port);
      return why === null ? pass(name, `RTSP ${u.hostname}:${port} reachable (${src.transport}, latency ${src.latency_ms} ms)`)
        : fail(name, `RTSP ${u.hostname}:${port} unreachable: ${why}`, 'check the camera is powered, its IP and the network route');
    }
    case 'csi':
      if (ctx.platform === 'generic') return fail(name, `CSI sensor ${src.sensor_id} configured, but this is a generic board (no CSI)`, 'use source kind v4l2 for a USB camera');
      return pass(name, `CSI sensor ${src.sensor_id} on ${ctx.platform} (run vigil cameras to list sensors)`);
    case 'v4l2': {
      const dev = path.join(ctx.root, src.device);
      if (!fs.existsSync(dev)) {
        const found = videoNodes(ctx.root);
        return fail(name, `${src.device} not present${found.length ? ` (found: ${found.join(', ')})` : ': no V4L2 camera on this machine'}`,
          'plug the camera in (check dmesg and lsusb), or set source.device to a listed node (vigil cameras)');
      }
      if (!fs.statSync(dev).isCharacterDevice()) return fail(name, `${src.device} is not a character device`, 'point source.device at a /dev/videoN node');
      const others = holders(src.device, ctx.root).filter((h) => !OURS.test(h.command));
      if (others.length > 0) {
        return fail(name, `${src.device} busy: held by ${others.map((h) => `pid ${h.pid} (${h.command.slice(0, 60)})`).join(', ')}`, 'stop the other program using the camera');
      }
      return pass(name, `${src.device} present and not held by another program`);
    }
  }
}

export async function checkCameras(ctx: DoctorContext): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const nodes = videoNodes(ctx.root);
  out.push(nodes.length > 0 ? pass('v4l2 devices', nodes.join(', '))
    : warn('v4l2 devices', 'no V4L2 camera: /dev/video* absent', 'plug in a USB camera (check dmesg), or ignore if only test/RTSP/CSI sources are used'));
  if (!ctx.config) return out;
  for (const cam of ctx.config.cameras.filter((c) => c.enabled)) out.push(await checkCamera(cam, ctx));
  return out;
}
