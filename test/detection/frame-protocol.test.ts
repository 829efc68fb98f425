// The tap stream framing: frames split across chunks, several frames per chunk, corruption.
import assert from 'node:assert/strict';
import test from 'node:test';
import { encodeHeader, FrameReader, HEADER_BYTES, MAX_FRAME_BYTES } from '../../src/detection/frame-protocol';
import { regions } from '../../src/detection/models/text-plugin';

function frame(seq: number, bytes: number): Buffer {
  const data = Buffer.alloc(bytes, seq & 0xff);
  return Buffer.concat([encodeHeader({ seq, tsMs: 1000 + seq, width: 4, height: 2, length: bytes }), data]);
}

test('frames reassemble from arbitrary chunking, in order, with their headers', () => {
  const stream = Buffer.concat([frame(1, 24), frame(2, 24), frame(3, 24)]);
  for (const size of [1, 7, HEADER_BYTES, 25, 48, stream.length]) {
    const r = new FrameReader();
    const got = [];
    for (let i = 0; i < stream.length; i += size) got.push(...r.push(stream.subarray(i, i + size)));
    assert.deepEqual(got.map((f) => [f.seq, f.tsMs, f.width, f.height, f.data.length, f.data[0]]), [
      [1, 1001, 4, 2, 24, 1], [2, 1002, 4, 2, 24, 2], [3, 1003, 4, 2, 24, 3],
    ], `chunk size ${size}`);
  }
});

test('a frame copy is independent of the stream buffer (it is transferred to the worker)', () => {
  const r = new FrameReader();
  const buf = frame(9, 8);
  const [f] = r.push(buf);
  buf.fill(0);
  assert.equal(f?.data[0], 9);
});

test('bad magic and absurd lengths are refused instead of buffering forever', () => {
  const bad = frame(1, 4);
  bad.writeUInt32LE(0xdeadbeef, 0);
  assert.throws(() => new FrameReader().push(bad), /bad frame magic/);
  const huge = encodeHeader({ seq: 1, tsMs: 0, width: 1, height: 1, length: MAX_FRAME_BYTES + 1 });
  assert.throws(() => new FrameReader().push(huge), /exceeds/);
});

test('text regions: 4-connected components with bounding box and mean probability', () => {
  const w = 6;
  const h = 4;
  const p = new Float32Array(w * h);
  // a 2×2 block at (1,1) and a diagonal pair (not 4-connected) at (4,0) and (5,1)
  for (const [x, y, v] of [[1, 1, 0.9], [2, 1, 0.7], [1, 2, 0.9], [2, 2, 0.7], [4, 0, 0.5], [5, 1, 0.6]] as const) p[y * w + x] = v;
  const r = regions(p, w, h, 0.3).map((x) => ({ ...x, meanProb: Math.round(x.meanProb * 100) / 100 }));
  assert.deepEqual(r, [
    { x1: 4, y1: 0, x2: 4, y2: 0, meanProb: 0.5 },
    { x1: 1, y1: 1, x2: 2, y2: 2, meanProb: 0.8 },
    { x1: 5, y1: 1, x2: 5, y2: 1, meanProb: 0.6 },
  ]);
  assert.deepEqual(regions(new Float32Array(w * h).fill(0.25), w, h, 0.3), [], 'nothing above the threshold, no region');
});
