// Detection and clips together, as a fleet operator uses them: the camera's detector sees the
// ball, its `new` object event opens an automatic clip (clips.on), updates extend it while the
// ball stays in view, and once recording stops the clip is built by remux and decodes.
import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'node:test';
import { callDaemon } from '../../src/cli/client';
import { writeBallModel } from '../fixtures/ball-model';
import { startDaemon, tmpDir, waitFor, writeConfig } from '../helpers/daemon';
import { countDecodedFrames } from '../helpers/media';

interface ClipRow { id: string; reason: string; state: string; path: string | null; frames: number | null }

test('a detected object opens an automatic clip that is built and decodes', { timeout: 90_000 }, async () => {
  const dir = tmpDir();
  const model = writeBallModel(path.join(dir, 'ball.onnx'), { size: 160 });
  const cfg = writeConfig(dir, [{
    name: 'cam', width: 320, height: 240, fps: 10, segment_seconds: 2,
    detection: { fps: 5, model: { kind: 'yolo', path: model, input_size: 160, labels: ['ball'] }, event: { min_hits: 2, lost_after_s: 2 } },
    clips: { on: ['ball'], pre_s: 1, post_s: 1, merge_gap_s: 5, max_s: 60 },
  }]);
  const d = startDaemon(cfg);
  const clips = async (): Promise<ClipRow[]> => {
    const res = await callDaemon(d.socket, 'clip.list', { camera: 'cam' });
    assert.equal(res.status, 'ok', JSON.stringify(res.error));
    return res.data as ClipRow[];
  };
  try {
    const first = await waitFor('an automatic clip', async () => (await clips()).find((c) => c.reason === 'detection:ball'), 30_000);
    assert.ok(['pending', 'building', 'ready'].includes(first.state), first.state);
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal((await callDaemon(d.socket, 'recording.stop', { camera: 'cam' })).status, 'ok');
    // The object ends (no frames), the last segment is closed: every automatic clip gets built.
    const ready = await waitFor('automatic clips built', async () => {
      const all = (await clips()).filter((c) => c.reason === 'detection:ball');
      return all.length > 0 && all.every((c) => c.state === 'ready') ? all : null;
    }, 40_000);
    const clip = ready.find((c) => c.id === first.id) ?? ready[0];
    assert.ok(clip?.path, 'clip file');
    const frames = await countDecodedFrames(clip.path);
    assert.ok(frames >= 30, `the clip holds the seconds around the ball (${frames} frames)`);
    assert.equal(frames, clip.frames);
  } finally {
    await d.stop();
  }
});
