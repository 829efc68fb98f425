// Letterbox geometry must match GStreamer's videoscale add-borders=true (floor-sized content,
// offset = floor(border / 2)) so boxes land on the right place in the camera frame.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { letterboxFor, toFrame, toInput } from '../../src/detection/letterbox';

const close = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) < 1e-9, msg ?? `${a} != ${b}`);

test('landscape 1280x720 into 640: full width, 360 high, 140 px bars top and bottom', () => {
  const lb = letterboxFor(1280, 720, 640);
  assert.deepEqual(lb, { scale: 0.5, padX: 0, padY: 140, input: 640, frameW: 1280, frameH: 720, contentW: 640, contentH: 360 });
});

test('portrait 720x1280 into 640: full height, bars left and right', () => {
  const lb = letterboxFor(720, 1280, 640);
  assert.equal(lb.padX, 140);
  assert.equal(lb.padY, 0);
  assert.equal(lb.contentW, 360);
  assert.equal(lb.contentH, 640);
  close(lb.scale, 0.5);
});

test('square frame: no borders, content fills the input', () => {
  const lb = letterboxFor(1000, 1000, 640);
  assert.equal(lb.padX, 0);
  assert.equal(lb.padY, 0);
  assert.equal(lb.contentW, 640);
  assert.equal(lb.contentH, 640);
  close(lb.scale, 0.64);
  assert.deepEqual(toFrame(lb, 0, 0, 640, 640), { x1: 0, y1: 0, x2: 1, y2: 1 });
});

test('odd border as GStreamer rounds it: 1366x768 → content floor(359.8)=359, top bar 140, bottom 141', () => {
  const lb = letterboxFor(1366, 768, 640);
  assert.equal(lb.contentH, 359);
  assert.equal(lb.padY, 140);
  assert.equal(640 - lb.padY - lb.contentH, 141);
  assert.equal(lb.padX, 0);
});

test('toFrame maps the content rectangle to 0..1 and clamps what lies in the borders', () => {
  const lb = letterboxFor(1280, 720, 640);
  assert.deepEqual(toFrame(lb, 0, 140, 640, 500), { x1: 0, y1: 0, x2: 1, y2: 1 });
  // A box reaching into the top bar is cut at the frame edge.
  const b = toFrame(lb, 320, 100, 480, 320);
  close(b.x1, 0.5);
  close(b.y1, 0);
  close(b.x2, 0.75);
  close(b.y2, 0.5);
  // Wholly inside the bottom bar: zero height at the frame's bottom edge.
  const gone = toFrame(lb, 10, 510, 20, 630);
  assert.equal(gone.y1, 1);
  assert.equal(gone.y2, 1);
});

test('round trip of a known box: frame pixels → input pixels → normalised frame', () => {
  const lb = letterboxFor(1280, 720, 640);
  // Frame box (320,180)-(640,540) px is (0.25,0.25)-(0.5,0.75) normalised.
  const input = toInput(lb, { x1: 0.25, y1: 0.25, x2: 0.5, y2: 0.75 });
  assert.deepEqual(input, [160, 230, 320, 410]);
  const back = toFrame(lb, ...input);
  close(back.x1, 0.25);
  close(back.y1, 0.25);
  close(back.x2, 0.5);
  close(back.y2, 0.75);
  const portrait = letterboxFor(720, 1280, 640);
  const p = toFrame(portrait, ...toInput(portrait, { x1: 0.1, y1: 0.2, x2: 0.3, y2: 0.9 }));
  close(p.x1, 0.1);
  close(p.y1, 0.2);
  close(p.x2, 0.3);
  close(p.y2, 0.9);
});

test('non-positive or fractional sizes are rejected with the offending value', () => {
  assert.throws(() => letterboxFor(0, 720, 640), /frame width must be a positive integer, got 0/);
  assert.throws(() => letterboxFor(1280, 720.5, 640), /frame height/);
  assert.throws(() => letterboxFor(1280, 720, -1), /input size/);
});
