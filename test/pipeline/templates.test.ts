import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { launchElements, lintLaunch, splitLaunch } from '../../src/pipeline/launch';
import { PLATFORMS } from '../../src/pipeline/platform';
import {
  findPipelinesDir,
  loadTemplates,
  parseTemplates,
  placeholders,
  renderTemplate,
  TemplateError,
} from '../../src/pipeline/templates';

const PIPELINES = findPipelinesDir(__dirname);

describe('loadTemplates', () => {
  it('finds the repo pipelines/ folder from compiled code and loads every platform', () => {
    assert.equal(path.basename(PIPELINES), 'pipelines');
    const t = loadTemplates();
    assert.deepEqual(Object.keys(t).sort(), [...PLATFORMS].sort());
    assert.deepEqual(Object.keys(t.generic.sources).sort(), ['file', 'rtsp', 'test', 'v4l2']);
    assert.equal(t.generic.sources.csi, undefined);
    assert.deepEqual(t.generic.encoders.h264?.map((c) => c.element), ['x264enc', 'openh264enc']);
    assert.deepEqual(t.generic.encoders.h265?.map((c) => c.element), ['x265enc']);
    assert.ok(t.generic.encoders.h264?.every((c) => !c.hardware));
    assert.deepEqual(t.jetson.encoders.h264?.map((c) => [c.element, c.hardware, c.requires]), [['nvv4l2h264enc', true, ['nvvidconv']]]);
    assert.deepEqual(t.jetson.encoders.h265?.map((c) => c.element), ['nvv4l2h265enc']);
    assert.deepEqual(t.rpi.encoders.h264?.map((c) => [c.element, c.hardware, c.requires]), [['v4l2h264enc', true, ['v4l2convert']]]);
    assert.equal(t.rpi.encoders.h265, undefined, 'no Raspberry Pi has a hardware H.265 encoder');
    assert.match(t.jetson.sources.csi?.launch ?? '', /^nvarguscamerasrc sensor-id=\{sensor_id\} ! video\/x-raw\(memory:NVMM\)/);
    assert.match(t.rpi.sources.csi?.launch ?? '', /^libcamerasrc /);
  });

  it('takes an override folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-tpl-'));
    try {
      for (const f of fs.readdirSync(PIPELINES)) fs.copyFileSync(path.join(PIPELINES, f), path.join(dir, f));
      const generic = path.join(dir, 'generic.yaml');
      fs.writeFileSync(generic, fs.readFileSync(generic, 'utf8').replace('speed-preset=ultrafast bitrate={bitrate_kbps}', 'speed-preset=superfast bitrate={bitrate_kbps}'));
      assert.match(loadTemplates(dir).generic.encoders.h264?.[0]?.launch ?? '', /speed-preset=superfast/);
      fs.rmSync(path.join(dir, 'rpi.yaml'));
      assert.throws(() => loadTemplates(dir), /cannot read pipeline templates .*rpi\.yaml/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails clearly when no pipelines/ folder is above the start folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-nopipelines-'));
    try {
      assert.throws(() => findPipelinesDir(path.join(dir, 'a', 'b')), /no pipelines\/generic\.yaml in .*vigil-nopipelines-.* or any parent folder/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every template fragment of every platform is well-formed gst-launch syntax', () => {
    const t = loadTemplates();
    let checked = 0;
    for (const p of PLATFORMS) {
      for (const [kind, s] of Object.entries(t[p].sources)) {
        assert.deepEqual(lintLaunch(s.launch), [], `${p} ${kind}`);
        if (s.overlay) assert.deepEqual(lintLaunch(s.overlay), [], `${p} ${kind} overlay`);
        checked++;
      }
      for (const list of Object.values(t[p].encoders)) {
        for (const c of list) {
          assert.deepEqual(lintLaunch(c.launch), [], `${p} ${c.element}`);
          checked++;
        }
      }
    }
    assert.equal(checked, 4 + 3 + (3 + 2) + (1 + 1));
  });
});

describe('parseTemplates validation', () => {
  const minimal = (encoders: string, sources = ''): string =>
    `platform: generic\nsources:\n${sources || '  test:\n    launch: videotestsrc ! video/x-raw,width={width}\n'}` +
    (encoders ? `encoders:\n${encoders}` : 'encoders: {}\n');

  it('rejects an unknown placeholder when the file loads', () => {
    const text = minimal('', '  rtsp:\n    launch: rtspsrc location="{url}" ! decodebin\n');
    assert.throws(() => parseTemplates(text, 'generic'), (err: unknown) => err instanceof TemplateError && /sources\.rtsp\.launch: unknown placeholder \{url\}/.test(err.message));
  });

  it('rejects a candidate that uses an element it does not declare', () => {
    const text = minimal('  h264:\n    - element: x264enc\n      hardware: false\n      launch: videoconvert ! x264enc\n');
    assert.throws(() => parseTemplates(text, 'generic'), /uses videoconvert; list them in requires/);
    const wrong = minimal('  h264:\n    - element: x264enc\n      hardware: false\n      launch: openh264enc\n');
    assert.throws(() => parseTemplates(wrong, 'generic'), /launch does not use x264enc/);
  });

  it('rejects a missing link, unknown keys and the wrong platform', () => {
    const noLink = minimal('  h264:\n    - element: x264enc\n      requires: [videoconvert]\n      hardware: false\n      launch: videoconvert x264enc\n');
    assert.throws(() => parseTemplates(noLink, 'generic'), /missing '!' before element x264enc/);
    assert.throws(() => parseTemplates(minimal('  h264: []\n  av1: []\n'), 'generic'), /encoders: Unrecognized key/i);
    assert.throws(() => parseTemplates(minimal(''), 'jetson'), /says platform generic, expected jetson/);
    assert.throws(() => parseTemplates('platform: [', 'generic'), /not valid YAML/);
  });
});

describe('renderTemplate', () => {
  it('fills placeholders and keeps quoted values quoted', () => {
    const out = renderTemplate('filesrc location="{path}" ! video/x-raw,width={width}', { path: '/srv/in put.mp4', width: 320 }, 't');
    assert.equal(out, 'filesrc location="/srv/in put.mp4" ! video/x-raw,width=320');
    assert.deepEqual(splitLaunch(out), ['filesrc', 'location="/srv/in put.mp4"', '!', 'video/x-raw,width=320']);
  });

  it('fails on an unknown placeholder, naming it and the known ones', () => {
    assert.throws(
      () => renderTemplate('x264enc bitrate={bitrate}', { bitrate_kbps: 4000 }, 'encoder x264enc'),
      (err: unknown) => err instanceof TemplateError && err.message === 'encoder x264enc: unknown placeholder {bitrate} (known: bitrate_kbps)',
    );
  });

  it('treats {{ }} as literal braces and rejects stray ones', () => {
    assert.equal(renderTemplate('a={{x}}', {}, 't'), 'a={x}');
    assert.deepEqual(placeholders('a={b} c={{d}}'), ['b']);
    assert.throws(() => renderTemplate('a={b', { b: 1 }, 't'), /unbalanced/);
  });

  it('refuses values that would break quoting', () => {
    assert.throws(() => renderTemplate('filesrc location="{path}"', { path: 'a" ! fakesink "' }, 'file'), /must not contain quotes/);
    assert.throws(() => renderTemplate('x={n}', { n: Number.NaN }, 't'), /not a finite number/);
  });
});

describe('launch reader', () => {
  it('lists elements, skipping caps, properties and pad references', () => {
    const l = 'videotestsrc is-live=true ! video/x-raw(memory:NVMM),format=NV12 ! tee name=t  t. ! queue ! fakesink  t. ! queue ! appsink name=tap';
    assert.deepEqual(launchElements(l), ['videotestsrc', 'tee', 'queue', 'fakesink', 'appsink']);
    assert.deepEqual(lintLaunch(l), []);
  });

  it('reports grammar problems', () => {
    assert.deepEqual(lintLaunch('a ! ! b'), ["'!' with nothing to link on its left"]);
    assert.deepEqual(lintLaunch('a !'), ["launch description ends with '!'"]);
    assert.match(lintLaunch('a location="x')[0] ?? '', /unbalanced double quote/);
  });
});
