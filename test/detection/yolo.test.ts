// YOLO output decoding on hand-made tensors in both layouts. Each filter is shown to be what
// removes its box: with the filter relaxed, the box comes back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { letterboxFor } from '../../src/detection/letterbox';
import { decodeYolo, detectLayout, type DecodeOptions } from '../../src/detection/models/yolo';
import type { Detection } from '../../src/detection/types';

const LABELS = ['person', 'car', 'dog'];
const NC = LABELS.length;

interface Pred { name: string; cxcywh: [number, number, number, number]; obj?: number; cls: [number, number, number] }

// 1280x720 frame in a 640 input: content 640x360 at padY 140.
const PREDS: Pred[] = [
  { name: 'person', cxcywh: [320, 320, 100, 200], obj: 1, cls: [0.9, 0.05, 0] },
  { name: 'person-dup', cxcywh: [325, 322, 100, 200], obj: 1, cls: [0.8, 0.1, 0] }, // NMS'd by 'person'
  { name: 'car-same-place', cxcywh: [320, 320, 100, 200], obj: 1, cls: [0.1, 0.7, 0] }, // other class: kept
  { name: 'dog', cxcywh: [100, 300, 50, 50], obj: 1, cls: [0, 0, 0.95] }, // filtered class
  { name: 'weak', cxcywh: [500, 300, 60, 60], obj: 1, cls: [0.2, 0, 0] }, // below threshold
  { name: 'tiny', cxcywh: [600, 400, 4, 4], obj: 1, cls: [0, 0.85, 0] }, // below min area
];

function ultralytics(preds: Pred[]): { data: Float32Array; dims: number[] } {
  const n = preds.length;
  const data = new Float32Array((4 + NC) * n);
  preds.forEach((p, i) => [...p.cxcywh, ...p.cls].forEach((v, k) => (data[k * n + i] = v)));
  return { data, dims: [1, 4 + NC, n] };
}

function yolov5(preds: Pred[]): { data: Float32Array; dims: number[] } {
  const data = new Float32Array((5 + NC) * preds.length);
  preds.forEach((p, i) => [...p.cxcywh, p.obj ?? 1, ...p.cls].forEach((v, k) => (data[i * (5 + NC) + k] = v)));
  return { data, dims: [1, preds.length, 5 + NC] };
}

const base: DecodeOptions = {
  scoreThreshold: 0.5,
  nmsIou: 0.45,
  classes: new Set(['person', 'car']),
  minArea: 0.001,
  labels: LABELS,
  letterbox: letterboxFor(1280, 720, 640),
};

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} != ${b}`);
const summary = (dets: Detection[]) => dets.map((d) => `${d.label}:${d.score.toFixed(3)}`);

for (const [name, make] of [['ultralytics', ultralytics], ['yolov5', yolov5]] as const) {
  test(`${name}: layout detected; threshold, class filter, min area and NMS each remove their box`, () => {
    const { data, dims } = make(PREDS);
    assert.equal(detectLayout(dims, NC), name);
    const out = decodeYolo(data, dims, base);
    assert.deepEqual(summary(out), ['person:0.900', 'car:0.700']);
    const person = out[0];
    assert.ok(person);
    assert.equal(person.classId, 0);
    // (270,220)-(370,420) input px → x (270/640, 370/640), y ((220-140)/360, (420-140)/360).
    close(person.box.x1, 270 / 640, 'x1');
    close(person.box.y1, 80 / 360, 'y1');
    close(person.box.x2, 370 / 640, 'x2');
    close(person.box.y2, 280 / 360, 'y2');
    // Relax one filter at a time: the box it removed reappears.
    assert.ok(summary(decodeYolo(data, dims, { ...base, scoreThreshold: 0.1 })).includes('person:0.200'));
    assert.ok(summary(decodeYolo(data, dims, { ...base, classes: undefined })).includes('dog:0.950'));
    assert.ok(summary(decodeYolo(data, dims, { ...base, minArea: 0 })).includes('car:0.850'));
    assert.ok(summary(decodeYolo(data, dims, { ...base, nmsIou: 1 })).includes('person:0.800'));
    assert.deepEqual(summary(decodeYolo(data, dims, { ...base, maxDetections: 1 })), ['person:0.900']);
  });
}

test('yolov5: score is objectness × class score; low objectness drops a confident class', () => {
  const preds: Pred[] = [
    { name: 'a', cxcywh: [100, 300, 80, 80], obj: 0.8, cls: [0.9, 0, 0] }, // 0.72: kept
    { name: 'b', cxcywh: [300, 300, 80, 80], obj: 0.7, cls: [0, 0.6, 0] }, // 0.42: both parts pass, product fails
    { name: 'c', cxcywh: [500, 300, 80, 80], obj: 0.1, cls: [0, 1, 0] }, // objectness fails
  ];
  const { data, dims } = yolov5(preds);
  const out = decodeYolo(data, dims, base);
  assert.deepEqual(summary(out), ['person:0.720']);
  assert.deepEqual(summary(decodeYolo(data, dims, { ...base, scoreThreshold: 0.05 })), ['person:0.720', 'car:0.420', 'car:0.100']);
});

test('argmax first, then the class filter: a dog is not reported as its runner-up person', () => {
  const { data, dims } = ultralytics([{ name: 'd', cxcywh: [320, 320, 100, 100], cls: [0.6, 0, 0.9] }]);
  assert.deepEqual(decodeYolo(data, dims, { ...base, classes: new Set(['person']) }), []);
});

test('a box wholly in the letterbox border is dropped even with minArea 0', () => {
  const { data, dims } = ultralytics([{ name: 'border', cxcywh: [320, 50, 100, 60], cls: [0.9, 0, 0] }]);
  assert.deepEqual(decodeYolo(data, dims, { ...base, minArea: 0 }), []);
});

test('detectLayout: label count mismatch names the dims and both expected shapes', () => {
  assert.throws(
    () => detectLayout([1, 84, 8400], 3),
    { message: 'model output [1, 84, 8400] does not fit 3 labels: expected [1, 7, N] or [1, N, 8]' },
  );
  assert.equal(detectLayout([1, 84, 8400], 80), 'ultralytics');
  assert.equal(detectLayout([1, 25200, 85], 80), 'yolov5');
  assert.throws(() => detectLayout([84, 8400], 80), /model output \[84, 8400\] does not fit 80 labels/);
  assert.throws(() => detectLayout([2, 84, 8400], 80), /expected \[1, 84, N\] or \[1, N, 85\]/);
});

test('decodeYolo rejects data whose length does not match the dims', () => {
  assert.throws(() => decodeYolo(new Float32Array(10), [1, 7, 2], base), /has 10 values but dims \[1, 7, 2\] need 14/);
});
