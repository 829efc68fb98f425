import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseInspectListing, probeRegistry } from '../../src/pipeline/registry';
import { findPipelinesDir } from '../../src/pipeline/templates';

const FIXTURES = path.join(path.dirname(findPipelinesDir(__dirname)), 'test', 'fixtures', 'registry');
const fixture = (name: string): Set<string> => parseInspectListing(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));

describe('parseInspectListing', () => {
  it('reads the real x86 listing: elements only', () => {
    const x86 = fixture('x86-nohw.txt');
    for (const e of ['x264enc', 'x265enc', 'openh264enc', 'videotestsrc', 'splitmuxsink', 'mpegtsmux', 'watchdog', 'clockoverlay', 'appsink', 'input-selector']) {
      assert.ok(x86.has(e), `missing ${e}`);
    }
    // The listing has 1394 element lines; typefinders, tracers and device providers are not elements.
    assert.equal(x86.size, 1394);
    for (const notElement of ['avtype_4xm', 'video/mpegts', 'latency', 'v4l2deviceprovider', 'Total', 'count']) {
      assert.equal(x86.has(notElement), false, `${notElement} is not an element`);
    }
    assert.equal(x86.has('nvv4l2h264enc'), false);
    assert.equal(x86.has('v4l2h264enc'), false);
  });

  it('reads the reconstructed board listings', () => {
    const jetson = fixture('jetson-orin.txt');
    for (const e of ['nvv4l2h264enc', 'nvv4l2h265enc', 'nvv4l2decoder', 'nvvidconv', 'nvarguscamerasrc', 'nvjpegenc', 'videoconvert', 'x264enc']) assert.ok(jetson.has(e), e);
    const rpi4 = fixture('rpi4.txt');
    for (const e of ['v4l2h264enc', 'v4l2convert', 'v4l2jpegenc', 'libcamerasrc']) assert.ok(rpi4.has(e), e);
    assert.equal([...rpi4].some((e) => /h265enc|hevcenc/.test(e) && e !== 'x265enc'), false, 'Pi 4 has no hardware H.265 encoder');
    const rpi5 = fixture('rpi5.txt');
    assert.ok(rpi5.has('libcamerasrc'));
    assert.equal([...rpi5].some((e) => /^v4l2.*(enc|convert)$/.test(e)), false, 'Pi 5 has no V4L2 encoder or converter');
  });

  it("ignores '#' comment lines, blank lines, totals and blacklist sections", () => {
    const text = [
      '# x264:  fake: a comment that looks like an element',
      'x264:  x264enc: x264 H.264 Encoder',
      '',
      'Blacklisted files:',
      '  libgstbroken.so',
      '',
      'Total count: 1 plugin (1 blacklist entry not shown), 1 feature',
    ].join('\n');
    assert.deepEqual([...parseInspectListing(text)], ['x264enc']);
  });

  it('strips colour codes and CRLF line ends', () => {
    const text = '\x1b[1;34mx264\x1b[0m:  \x1b[1;32mx264enc\x1b[0m: \x1b[0mx264 H.264 Encoder\x1b[0m\r\nrtsp:  rtspsrc: RTSP packet receiver\r\n';
    assert.deepEqual([...parseInspectListing(text)].sort(), ['rtspsrc', 'x264enc']);
  });
});

describe('probeRegistry', () => {
  it('lists the elements of this machine', async () => {
    const elements = await probeRegistry();
    for (const e of ['videotestsrc', 'x264enc', 'splitmuxsink', 'watchdog']) assert.ok(elements.has(e), `missing ${e}`);
  });

  it('rejects with a clear error when gst-inspect-1.0 is missing', async () => {
    await assert.rejects(probeRegistry({ command: '/nonexistent/gst-inspect-1.0' }), /\/nonexistent\/gst-inspect-1.0 not found: GStreamer tools are not installed/);
  });

  it('rejects when the command fails or hangs', async () => {
    await assert.rejects(probeRegistry({ command: 'false' }), /false failed \(exit 1\)/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-probe-'));
    try {
      const slow = path.join(dir, 'slow-inspect');
      fs.writeFileSync(slow, '#!/bin/sh\nexec sleep 5\n', { mode: 0o755 });
      await assert.rejects(probeRegistry({ command: slow, timeoutMs: 200 }), /did not finish within 0.2 s/);
      const empty = path.join(dir, 'empty-inspect');
      fs.writeFileSync(empty, '#!/bin/sh\necho "Total count: 0 plugins, 0 features"\n', { mode: 0o755 });
      await assert.rejects(probeRegistry({ command: empty }), /listed no elements/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
