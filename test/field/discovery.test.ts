// Camera discovery parsers on recorded tool output (this machine has no camera), and the
// discovery orchestration replaying those recordings: which tool wins, metadata nodes skipped,
// Jetson VI nodes reported as CSI sensors, Pi sensors from libcamera.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseDeviceMonitor } from '../../src/field/device-monitor-parse';
import { discoverCameras } from '../../src/field/discovery';
import type { ToolResult, ToolRunner } from '../../src/field/exec';
import { parseFormatsExt, parseLibcameraList, parseListDevices } from '../../src/field/v4l2-parse';
import { findPipelinesDir } from '../../src/pipeline/templates';

const FIXTURES = path.join(path.dirname(findPipelinesDir(__dirname)), 'test', 'field', 'fixtures');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

const ok = (stdout: string): ToolResult => ({ code: 0, stdout, stderr: '', failure: null });
const missing: ToolResult = { code: null, stdout: '', stderr: '', failure: 'ENOENT' };

/** Replays recorded outputs keyed by "cmd args..."; anything not recorded is "not installed". */
function replay(outputs: Record<string, string>): { run: ToolRunner; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run: async (cmd, args) => {
      const key = [cmd, ...args].join(' ');
      calls.push(key);
      const out = outputs[key];
      return out === undefined ? missing : ok(out);
    },
  };
}

test('v4l2-ctl --list-devices: card name, bus and every node', () => {
  assert.deepEqual(parseListDevices(fixture('generic-c920.list-devices.txt')), [
    { name: 'HD Pro Webcam C920', bus: 'usb-0000:00:14.0-1', nodes: ['/dev/video0', '/dev/video1', '/dev/media0'] },
  ]);
  const jetson = parseListDevices(fixture('jetson-imx219.list-devices.txt'));
  assert.deepEqual(jetson.map((d) => [d.name, d.bus, d.nodes.join(' ')]), [
    ['NVIDIA Tegra Video Input Device', 'platform:tegra-camrtc-ca', '/dev/media0'],
    ['vi-output, imx219 9-0010', 'platform:tegra-capture-vi:1', '/dev/video0'],
    ['HD Pro Webcam C920', 'usb-3610000.xhci-2.3', '/dev/video1 /dev/video2'],
  ]);
});

test('v4l2-ctl --list-formats-ext: formats, sizes and frame rates (highest first)', () => {
  assert.deepEqual(parseFormatsExt(fixture('generic-c920.video0.formats.txt')), [
    { format: 'YUYV', width: 640, height: 480, fps: [30, 24, 15] },
    { format: 'YUYV', width: 1920, height: 1080, fps: [5] },
    { format: 'MJPG', width: 1280, height: 720, fps: [30, 15] },
    { format: 'MJPG', width: 1920, height: 1080, fps: [30] },
  ]);
  assert.deepEqual(parseFormatsExt(fixture('generic-c920.video1.formats.txt')), [], 'the metadata node has no capture formats');
});

test('gst-device-monitor-1.0: name, device path, api and caps with framerate lists', () => {
  const [d, ...rest] = parseDeviceMonitor(fixture('generic-c920.device-monitor.txt'));
  assert.equal(rest.length, 0);
  assert.ok(d);
  assert.equal(d.name, 'HD Pro Webcam C920');
  assert.equal(d.deviceClass, 'Video/Source');
  assert.equal(d.path, '/dev/video0');
  assert.equal(d.api, 'v4l2');
  assert.equal(d.properties['device.product.name'], 'HD Pro Webcam C920');
  assert.deepEqual(d.modes, [
    { format: 'YUY2', width: 640, height: 480, fps: [30, 24, 15] },
    { format: 'YUY2', width: 1920, height: 1080, fps: [5] },
    { format: 'MJPG', width: 1280, height: 720, fps: [30, 15] },
    { format: 'MJPG', width: 1920, height: 1080, fps: [30] },
  ]);
});

test('rpicam-hello --list-cameras: sensor, native size and modes', () => {
  assert.deepEqual(parseLibcameraList(fixture('rpi5-imx708.list-cameras.txt')), [{
    index: 0, sensor: 'imx708', width: 4608, height: 2592,
    modes: [{ width: 1536, height: 864, fps: 120.13 }, { width: 2304, height: 1296, fps: 56.03 }, { width: 4608, height: 2592, fps: 14.35 }],
  }]);
});

test('discovery with v4l2-ctl: the capture node only, with a v4l2 source line', async () => {
  const { run } = replay({
    'v4l2-ctl --list-devices': fixture('generic-c920.list-devices.txt'),
    'v4l2-ctl -d /dev/video0 --list-formats-ext': fixture('generic-c920.video0.formats.txt'),
    'v4l2-ctl -d /dev/video1 --list-formats-ext': fixture('generic-c920.video1.formats.txt'),
  });
  const d = await discoverCameras({ platform: 'generic', run, root: '/nonexistent' });
  assert.equal(d.method, 'v4l2-ctl');
  assert.deepEqual(d.cameras.map((c) => [c.kind, c.device, c.source]), [['v4l2', '/dev/video0', { kind: 'v4l2', device: '/dev/video0' }]]);
  assert.equal(d.cameras[0]?.modes.length, 4);
});

test('discovery on a Jetson: the VI node is CSI sensor 0, the USB camera stays v4l2', async () => {
  const { run } = replay({
    'v4l2-ctl --list-devices': fixture('jetson-imx219.list-devices.txt'),
    'v4l2-ctl -d /dev/video0 --list-formats-ext': fixture('jetson-imx219.video0.formats.txt'),
    'v4l2-ctl -d /dev/video1 --list-formats-ext': fixture('generic-c920.video0.formats.txt'),
    'v4l2-ctl -d /dev/video2 --list-formats-ext': fixture('generic-c920.video1.formats.txt'),
  });
  const d = await discoverCameras({ platform: 'jetson', run, root: '/nonexistent' });
  assert.deepEqual(d.cameras.map((c) => [c.kind, c.device, JSON.stringify(c.source)]), [
    ['csi', '/dev/video0', '{"kind":"csi","sensor_id":0}'],
    ['v4l2', '/dev/video1', '{"kind":"v4l2","device":"/dev/video1"}'],
  ]);
  assert.deepEqual(d.cameras[0]?.modes[2], { format: 'RG10', width: 1280, height: 720, fps: [60] });
});

test('discovery falls back to gst-device-monitor when v4l2-ctl is missing, and says so', async () => {
  const { run, calls } = replay({ 'gst-device-monitor-1.0 Video/Source': fixture('generic-c920.device-monitor.txt') });
  const d = await discoverCameras({ platform: 'generic', run, root: '/nonexistent' });
  assert.equal(d.method, 'gst-device-monitor');
  assert.deepEqual(calls, ['v4l2-ctl --list-devices', 'gst-device-monitor-1.0 Video/Source']);
  assert.match(d.notes.join('\n'), /v4l2-ctl not installed \(apt install v4l-utils\)/);
  assert.equal(d.cameras[0]?.device, '/dev/video0');
});

test('discovery on a Pi adds libcamera sensors as CSI; nothing at all gives a note naming what is missing', async () => {
  const { run } = replay({ 'v4l2-ctl --list-devices': '', 'rpicam-hello --list-cameras': fixture('rpi5-imx708.list-cameras.txt') });
  const pi = await discoverCameras({ platform: 'rpi', run, root: '/nonexistent' });
  assert.deepEqual(pi.cameras.map((c) => [c.kind, c.name, JSON.stringify(c.source)]), [['csi', 'imx708', '{"kind":"csi","sensor_id":0}']]);

  const none = await discoverCameras({ platform: 'generic', run: replay({}).run, root: '/nonexistent' });
  assert.equal(none.method, 'dev-scan');
  assert.deepEqual(none.cameras, []);
  assert.match(none.notes.join('\n'), /no camera found: no V4L2 capture device under \/dev/);
});

test('discovery on this machine with the real tools runs and reports no camera (there is none)', async () => {
  const d = await discoverCameras({ platform: 'generic' });
  assert.ok(['v4l2-ctl', 'gst-device-monitor'].includes(d.method), d.method);
  assert.deepEqual(d.cameras, [], 'this test machine has no /dev/video*; if it gains one, update this test');
  assert.match(d.notes.join('\n'), /no camera found/);
});
