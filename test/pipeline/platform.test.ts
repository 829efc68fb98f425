import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { detectPlatform, isPlatform } from '../../src/pipeline/platform';

describe('detectPlatform', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-platform-'));
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  const write = (rel: string, content: string): void => {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  };

  it('is generic on an empty root', () => {
    assert.equal(detectPlatform(root), 'generic');
  });

  it('is jetson when etc/nv_tegra_release exists', () => {
    write('etc/nv_tegra_release', '# R36 (release), REVISION: 3.0, GCID: 36191598, BOARD: generic, EABI: aarch64\n');
    assert.equal(detectPlatform(root), 'jetson');
  });

  it('is rpi when the device-tree model names a Raspberry Pi (NUL-terminated like the kernel writes it)', () => {
    write('proc/device-tree/model', 'Raspberry Pi 5 Model B Rev 1.0\0');
    assert.equal(detectPlatform(root), 'rpi');
  });

  it('is generic for another device-tree board', () => {
    write('proc/device-tree/model', 'Radxa ROCK 5B\0');
    assert.equal(detectPlatform(root), 'generic');
  });

  it('prefers jetson when both markers exist (Jetson device trees do not say Raspberry Pi, but be deterministic)', () => {
    write('etc/nv_tegra_release', '# R35\n');
    write('proc/device-tree/model', 'Raspberry Pi 4 Model B\0');
    assert.equal(detectPlatform(root), 'jetson');
  });

  it('treats a model path that is a directory as absent instead of crashing', () => {
    fs.mkdirSync(path.join(root, 'proc/device-tree/model'), { recursive: true });
    assert.equal(detectPlatform(root), 'generic');
  });

  it('isPlatform guards strings', () => {
    assert.equal(isPlatform('rpi'), true);
    assert.equal(isPlatform('pi'), false);
    assert.equal(isPlatform(undefined), false);
  });
});
