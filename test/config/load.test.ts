import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, parseConfigText } from '../../src/config/load';
import { configJsonSchema } from '../../src/config/schema';
import { parseSize } from '../../src/config/size';

const VIGILD = path.resolve(__dirname, '../../src/cli/vigild.js');

const GOOD = `
device: { id: cab-0042 }
data_dir: /var/lib/vigil
cameras:
  - name: front
    source: { kind: test }
    video: { width: 1280, height: 720, fps: 30 }
    encoder: { codec: h264, bitrate_kbps: 4000, keyframe_interval_s: 1, prefer: auto }
    recording: { segment_seconds: 10 }
retention: { min_free_percent: 10, min_free_bytes: 2GB }
`;

function errorsOf(text: string): string[] {
  try {
    parseConfigText(text, 'test.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.lines;
  }
  assert.fail('config was accepted');
}

test('the issue contract example is valid and gets defaults', () => {
  const c = parseConfigText(GOOD, 'good.yaml');
  assert.equal(c.device.id, 'cab-0042');
  assert.equal(c.retention.min_free_bytes, 2 * 1024 ** 3);
  const cam = c.cameras[0]!;
  assert.equal(cam.source.kind, 'test');
  assert.equal(cam.recording.segment_seconds, 10);
  assert.equal(cam.tap.fps, 5);
  assert.equal(cam.watchdog.stall_after_s, 5);
  assert.equal(c.version, 1);
});

test('unknown key is named with its path', () => {
  const lines = errorsOf(GOOD.replace('recording: { segment_seconds: 10 }', 'recording: { segment_seconds: 10, segmnet: 3 }'));
  assert.deepEqual(lines, ['cameras[0].recording.segmnet: unknown key (value 3)']);
});

test('wrong type names field, value and what is allowed', () => {
  const lines = errorsOf(GOOD.replace('fps: 30', 'fps: "thirty"'));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^cameras\[0\]\.video\.fps: "thirty" is not allowed; .*number/);
});

test('negative seconds are refused', () => {
  const lines = errorsOf(GOOD.replace('segment_seconds: 10', 'segment_seconds: -5'));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^cameras\[0\]\.recording\.segment_seconds: -5 is not allowed; .*>=\s*2/);
});

test('duplicate camera names point at the second one', () => {
  const text = GOOD.replace('retention:', `  - name: front\n    source: { kind: test }\nretention:`);
  const lines = errorsOf(text);
  assert.deepEqual(lines, ['cameras[1].name: "front" is not allowed; duplicate camera name (also cameras[0])']);
});

test('missing device id is reported', () => {
  const lines = errorsOf(GOOD.replace('device: { id: cab-0042 }', 'device: {}'));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^device\.id: missing is not allowed/);
});

test('unknown source kind lists the allowed kinds', () => {
  const lines = errorsOf(GOOD.replace('source: { kind: test }', 'source: { kind: webcam }'));
  assert.deepEqual(lines, ['cameras[0].source.kind: "webcam" is not allowed; expected one of test, v4l2, csi, rtsp, file']);
});

test('bad sizes, path-like camera names and several problems at once', () => {
  const text = GOOD.replace('min_free_bytes: 2GB', 'min_free_bytes: 2 parsecs').replace('name: front', 'name: ../etc');
  const lines = errorsOf(text);
  assert.equal(lines.length, 2);
  assert.ok(lines.some((l) => l.startsWith('retention.min_free_bytes: "2 parsecs" is not allowed; must be a size')), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('cameras[0].name: "../etc" is not allowed')), lines.join('\n'));
});

test('YAML syntax errors and duplicate keys are reported with a position', () => {
  assert.match(errorsOf('device: { id: x\ncameras: [')[0]!, /^YAML /);
  assert.match(errorsOf('device: { id: a }\ndevice: { id: b }\ncameras: []')[0]!, /^YAML .*[Mm]ap keys must be unique/);
});

test('sizes parse with binary units', () => {
  assert.equal(parseSize('2GB'), 2 * 1024 ** 3);
  assert.equal(parseSize('500MB'), 500 * 1024 ** 2);
  assert.equal(parseSize('1.5 GiB'), 1.5 * 1024 ** 3);
  assert.equal(parseSize(1234), 1234);
  assert.equal(parseSize('12 apples'), null);
  assert.equal(parseSize(-1), null);
});

test('data_dir is resolved relative to the config file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-cfg-'));
  const file = path.join(dir, 'c.yaml');
  fs.writeFileSync(file, GOOD.replace('data_dir: /var/lib/vigil', 'data_dir: ./data'));
  assert.equal(loadConfig(file).data_dir, path.join(dir, 'data'));
  fs.rmSync(dir, { recursive: true });
});

test('the JSON Schema export describes the top-level keys', () => {
  const schema = configJsonSchema() as { properties: Record<string, unknown>; required: string[] };
  assert.deepEqual(Object.keys(schema.properties).sort(), ['cameras', 'data_dir', 'device', 'log', 'mqtt', 'outbox', 'retention', 'supervisor', 'version']);
  assert.ok(schema.required.includes('device') && schema.required.includes('cameras'));
});

test('vigild exits non-zero naming each bad field', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-cfg-'));
  const cases: Array<[string, RegExp]> = [
    [GOOD.replace('fps: 30', 'fps: 30, colour: red'), /cameras\[0\]\.video\.colour: unknown key/],
    [GOOD.replace('bitrate_kbps: 4000', 'bitrate_kbps: lots'), /cameras\[0\]\.encoder\.bitrate_kbps: "lots"/],
    [GOOD.replace('segment_seconds: 10', 'segment_seconds: -1'), /cameras\[0\]\.recording\.segment_seconds: -1/],
    [GOOD.replace('retention:', `  - name: front\n    source: { kind: test }\nretention:`), /cameras\[1\]\.name: "front" .*duplicate/],
    [GOOD.replace('device: { id: cab-0042 }', ''), /device: missing is not allowed/],
  ];
  for (const [i, [text, re]] of cases.entries()) {
    const file = path.join(dir, `bad${i}.yaml`);
    fs.writeFileSync(file, text);
    const r = spawnSync(process.execPath, [VIGILD, '--config', file], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 2, `case ${i}: exit ${r.status}, stderr ${r.stderr}`);
    assert.match(r.stderr, re, `case ${i}`);
    assert.match(r.stderr, new RegExp(`invalid config ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  }
  const missing = spawnSync(process.execPath, [VIGILD, '--config', path.join(dir, 'nope.yaml')], { encoding: 'utf8', timeout: 20000 });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read file: ENOENT/);
  fs.rmSync(dir, { recursive: true });
});

test('the shipped example and dev configs are valid', () => {
  for (const f of ['provisioning/config.example.yaml', 'provisioning/dev.yaml']) {
    const c = loadConfig(path.resolve(__dirname, '../../..', f));
    assert.ok(c.cameras.length >= 1, f);
  }
  const example = loadConfig(path.resolve(__dirname, '../../../provisioning/config.example.yaml'));
  assert.equal(example.mqtt?.protocol_version, 5);
  assert.equal(example.outbox.max_bytes, 64 * 1024 ** 2);
});
