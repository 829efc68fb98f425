import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { configSchema } from '../../src/config/schema';
import { resolveAll } from '../../src/pipeline/plan';
import { parseInspectListing } from '../../src/pipeline/registry';
import { findPipelinesDir, loadTemplates } from '../../src/pipeline/templates';

const ROOT = path.dirname(findPipelinesDir(__dirname));
const rpi5 = parseInspectListing(fs.readFileSync(path.join(ROOT, 'test/fixtures/registry/rpi5.txt'), 'utf8'));
const templates = loadTemplates();
const log = pino({ level: 'silent' });

describe('resolveAll', () => {
  it('plans enabled cameras only, with a fresh segment name per run', async () => {
    const config = configSchema.parse({
      device: { id: 'pi5-lab' },
      data_dir: '/var/lib/vigil',
      cameras: [
        { name: 'door', source: { kind: 'csi' } },
        { name: 'yard', enabled: false, source: { kind: 'rtsp', uri: 'rtsp://yard/live' } },
      ],
    });
    const plans = await resolveAll(config, log, { platform: 'rpi', elements: rpi5, templates });
    assert.deepEqual(plans.map((p) => p.camera.name), ['door']);
    const [door] = plans;
    assert.ok(door);
    assert.equal(door.encoder.element, 'x264enc');
    assert.equal(door.encoder.reason, 'auto: no hardware h264 encoder (looked for v4l2h264enc), using software x264enc');
    assert.ok(door.buildLaunch('r1').includes('location=/var/lib/vigil/segments/door/r1_%05d.ts '));
    assert.ok(door.buildLaunch('r2').includes('location=/var/lib/vigil/segments/door/r2_%05d.ts '));
    assert.equal(door.segmentPattern('r2'), '/var/lib/vigil/segments/door/r2_%05d.ts');
  });

  it('reports every camera that cannot be built in one error', async () => {
    const config = configSchema.parse({
      device: { id: 'x86-lab' },
      cameras: [
        { name: 'a', source: { kind: 'csi' } },
        { name: 'b', source: { kind: 'test' }, encoder: { prefer: 'hardware' } },
        { name: 'c', source: { kind: 'test' } },
      ],
    });
    await assert.rejects(
      resolveAll(config, log, { platform: 'generic', elements: rpi5, templates }),
      (err: unknown) =>
        err instanceof Error &&
        err.message.includes('camera a: source kind csi needs a Jetson or Raspberry Pi') &&
        err.message.includes('camera b: no hardware h264 encoder in the GStreamer registry') &&
        !err.message.includes('camera c'),
    );
  });
});
