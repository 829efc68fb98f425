// IoU and greedy NMS, including the degenerate inputs a real model produces.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { iou, nms } from '../../src/detection/nms';
import type { Box, Detection } from '../../src/detection/types';

const box = (x1: number, y1: number, x2: number, y2: number): Box => ({ x1, y1, x2, y2 });
const det = (classId: number, score: number, b: Box): Detection => ({ label: `c${classId}`, classId, score, box: b });

test('iou: disjoint 0, identical 1, contained = area ratio, half overlap 1/3', () => {
  assert.equal(iou(box(0, 0, 0.1, 0.1), box(0.5, 0.5, 0.6, 0.6)), 0);
  assert.equal(iou(box(0, 0, 0.1, 0.1), box(0.1, 0, 0.2, 0.1)), 0, 'touching edges do not overlap');
  assert.equal(iou(box(0.2, 0.2, 0.4, 0.4), box(0.2, 0.2, 0.4, 0.4)), 1);
  assert.ok(Math.abs(iou(box(0, 0, 0.4, 0.4), box(0.1, 0.1, 0.3, 0.3)) - 0.25) < 1e-12);
  assert.ok(Math.abs(iou(box(0, 0, 0.2, 0.1), box(0.1, 0, 0.3, 0.1)) - 1 / 3) < 1e-12);
});

test('iou of zero-area boxes is 0, not NaN', () => {
  assert.equal(iou(box(0.5, 0.5, 0.5, 0.5), box(0.5, 0.5, 0.5, 0.5)), 0);
  assert.equal(iou(box(0.1, 0.1, 0.1, 0.4), box(0, 0, 0.5, 0.5)), 0);
});

test('nms of nothing is nothing', () => {
  assert.deepEqual(nms([], 0.5), []);
});

test('identical boxes of one class: only the best survives', () => {
  const out = nms([det(0, 0.6, box(0, 0, 0.2, 0.2)), det(0, 0.9, box(0, 0, 0.2, 0.2)), det(0, 0.7, box(0, 0, 0.2, 0.2))], 0.5);
  assert.equal(out.length, 1);
  assert.equal(out[0]?.score, 0.9);
});

test('per class by default; classAgnostic suppresses across classes', () => {
  const dets = [det(0, 0.9, box(0, 0, 0.2, 0.2)), det(1, 0.8, box(0, 0, 0.2, 0.2))];
  assert.deepEqual(nms(dets, 0.5).map((d) => d.classId), [0, 1]);
  assert.deepEqual(nms(dets, 0.5, { classAgnostic: true }).map((d) => d.classId), [0]);
});

test('overlap only just above / at the threshold: strictly above suppresses', () => {
  const a = det(0, 0.9, box(0, 0, 0.2, 0.1));
  const b = det(0, 0.8, box(0.1, 0, 0.3, 0.1)); // iou 1/3 with a
  assert.equal(nms([a, b], 0.3).length, 1);
  assert.equal(nms([a, b], 0.4).length, 2);
});

test('zero-area boxes never suppress each other', () => {
  const out = nms([det(0, 0.9, box(0.5, 0.5, 0.5, 0.5)), det(0, 0.8, box(0.5, 0.5, 0.5, 0.5))], 0.1);
  assert.equal(out.length, 2);
});

test('threshold 1.0 keeps everything, even identical boxes', () => {
  const dets = [det(0, 0.5, box(0, 0, 0.2, 0.2)), det(0, 0.9, box(0, 0, 0.2, 0.2)), det(0, 0.7, box(0.01, 0, 0.2, 0.2))];
  assert.equal(nms(dets, 1.0).length, 3);
});

test('output sorted by score descending, input untouched', () => {
  const dets = [det(0, 0.2, box(0, 0, 0.1, 0.1)), det(1, 0.9, box(0.3, 0.3, 0.4, 0.4)), det(2, 0.5, box(0.6, 0.6, 0.7, 0.7))];
  const before = dets.map((d) => d.score);
  assert.deepEqual(nms(dets, 0.5).map((d) => d.score), [0.9, 0.5, 0.2]);
  assert.deepEqual(dets.map((d) => d.score), before);
});

test('maxDetections caps the output to the highest scores', () => {
  const dets = [0.3, 0.8, 0.5, 0.9, 0.1].map((s, i) => det(0, s, box(i * 0.2, 0, i * 0.2 + 0.1, 0.1)));
  assert.deepEqual(nms(dets, 0.5, { maxDetections: 2 }).map((d) => d.score), [0.9, 0.8]);
  assert.deepEqual(nms(dets, 0.5, { maxDetections: 0 }), []);
});
