import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeSegment, type SegmentProbe } from '../../src/recording/ts-probe';
import { countDecodedFrames, discover, makeMp4File, makeTsSegment, writeSyntheticTs, type TestCodec } from '../helpers/media';

const FRAME_MS = 100; // 10 fps in the real-file cases

let dir = '';
before(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), 'vigil-ts-probe-'));
});
after(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

function assertNear(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} not within ${tolerance} of ${expected}`);
}

function assertOffsets(p: SegmentProbe, expected: number[], tolerance: number): void {
  assert.equal(p.keyframeOffsetsMs.length, expected.length, `offsets ${JSON.stringify(p.keyframeOffsetsMs)}`);
  expected.forEach((e, i) => assertNear(p.keyframeOffsetsMs[i] ?? NaN, e, tolerance, `keyframe ${i}`));
}

/** Copies the first `fraction` of a file, nudged off a packet boundary so the cut is mid-packet. */
async function truncatedCopy(src: string, fraction: number, dst: string): Promise<number> {
  const data = await fsp.readFile(src);
  let n = Math.floor(data.length * fraction);
  if (n % 188 === 0) n -= 1;
  await fsp.writeFile(dst, data.subarray(0, n));
  return n;
}

for (const codec of ['h264', 'h265'] as TestCodec[]) {
  describe(`probeSegment on a real ${codec} segment (3 s, 10 fps, keyframe every 10 frames)`, () => {
    let file = '';
    before(async () => {
      file = join(dir, `real-${codec}.ts`);
      await makeTsSegment(file, { seconds: 3, fps: 10, width: 320, height: 240, codec, keyframeInterval: 10 });
    });

    test('frames, keyframes, duration and keyframe offsets match the encoder settings and a real decode', async () => {
      const p = await probeSegment(file);
      assert.equal(p.ok, true, p.error);
      assert.equal(p.error, undefined);
      assert.equal(p.codec, codec);
      assert.equal(p.truncated, false);
      assert.equal(p.bytes, (await fsp.stat(file)).size);
      assert.equal(p.frames, 30);
      assert.equal(p.frames, await countDecodedFrames(file));
      assert.equal(p.keyframes, 3);
      assertNear(p.durationMs, 3000, FRAME_MS, 'durationMs');
      assertOffsets(p, [0, 1000, 2000], FRAME_MS / 2);
      assert.ok(p.firstPtsMs !== null && p.lastPtsMs !== null);
      const d = await discover(file);
      assert.ok(d.durationMs !== null, d.raw);
      assertNear(p.durationMs, d.durationMs, FRAME_MS, 'durationMs vs gst-discoverer');
    });

    test('keyframes are still found from the NAL types when the TS random_access_indicator is cleared', async () => {
      // Exercises the NAL scan across packets: x264 puts a ~700 B SEI before the first IDR slice.
      const data = await fsp.readFile(file);
      let cleared = 0;
      for (let off = 0; off + 188 <= data.length; off += 188) {
        const hasAf = ((data[off + 3] ?? 0) & 0x20) !== 0 && (data[off + 4] ?? 0) > 0;
        if (hasAf && ((data[off + 5] ?? 0) & 0x40) !== 0) {
          data[off + 5] = (data[off + 5] ?? 0) & ~0x40;
          cleared++;
        }
      }
      assert.ok(cleared >= 3, `mpegtsmux flagged ${cleared} packets`);
      const f = join(dir, `no-rai-${codec}.ts`);
      await fsp.writeFile(f, data);
      const p = await probeSegment(f);
      assert.equal(p.keyframes, 3);
      assertOffsets(p, [0, 1000, 2000], FRAME_MS / 2);
    });

    test('corrupted copies never throw and never report more frames than were written', async () => {
      const orig = await fsp.readFile(file);
      const f = join(dir, `fuzz-${codec}.ts`);
      let seed = 12345; // LCG: reproducible corruption
      const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
      for (let i = 0; i < 100; i++) {
        const d = Buffer.from(orig);
        for (let j = 1 + Math.floor(rnd() * 50); j > 0; j--) d[Math.floor(rnd() * d.length)] = Math.floor(rnd() * 256);
        await fsp.writeFile(f, rnd() < 0.5 ? d.subarray(0, Math.floor(rnd() * d.length)) : d);
        const p = await probeSegment(f);
        assert.ok(p.frames <= 30, `case ${i}: ${p.frames} frames`);
        assert.equal(p.ok, p.error === undefined, `case ${i}: ok=${p.ok} error=${p.error}`);
      }
    });

    test('a copy cut mid-packet at 60 % never claims more frames than a decoder gets, and at most 2 fewer', async (t) => {
      const cut = join(dir, `cut-${codec}.ts`);
      const n = await truncatedCopy(file, 0.6, cut);
      const p = await probeSegment(cut);
      const decoded = await countDecodedFrames(cut);
      t.diagnostic(`${codec} cut at ${n} bytes: probe ${p.frames} frames, decoder ${decoded}`);
      assert.equal(p.ok, true, p.error);
      assert.equal(p.truncated, true);
      assert.equal(p.bytes, n);
      assert.ok(p.frames <= decoded, `probe ${p.frames} > decoded ${decoded}`);
      assert.ok(decoded - p.frames <= 2, `probe ${p.frames} far below decoded ${decoded}`);
      assert.ok(p.keyframes >= 1);
      assertNear(p.durationMs, p.frames * FRAME_MS, FRAME_MS, 'durationMs of the cut copy');
    });

    test('a copy cut on a packet boundary inside a PES with a known length drops that PES', async () => {
      // mpegtsmux writes PES_packet_length when the access unit fits in 16 bits (these do).
      const data = await fsp.readFile(file);
      const n = Math.floor((data.length * 0.5) / 188) * 188;
      const cut = join(dir, `cut188-${codec}.ts`);
      await fsp.writeFile(cut, data.subarray(0, n));
      const p = await probeSegment(cut);
      const decoded = await countDecodedFrames(cut);
      assert.equal(p.ok, true, p.error);
      assert.ok(p.frames <= decoded, `probe ${p.frames} > decoded ${decoded}`);
      assert.ok(decoded - p.frames <= 2, `probe ${p.frames} far below decoded ${decoded}`);
    });
  });
}

describe('probeSegment on inputs that are not a playable segment', () => {
  test('empty file', async () => {
    const f = join(dir, 'empty.ts');
    await fsp.writeFile(f, Buffer.alloc(0));
    const p = await probeSegment(f);
    assert.equal(p.ok, false);
    assert.equal(p.error, 'empty file');
    assert.equal(p.frames, 0);
    assert.equal(p.durationMs, 0);
    assert.equal(p.firstPtsMs, null);
  });

  test('an MP4 file is reported as not MPEG-TS', async () => {
    const f = join(dir, 'clip.mp4');
    await makeMp4File(f, { seconds: 1, fps: 10, width: 160, height: 120 });
    const p = await probeSegment(f);
    assert.equal(p.ok, false);
    assert.match(p.error ?? '', /^not an MPEG-TS file \(sync byte missing at offset 0\)$/);
  });

  test('random bytes', async () => {
    // Seeded xorshift so the run is reproducible; byte 0 happens to be 0x47 once in 256 seeds,
    // which only moves the reported offset to 188.
    let x = 0x2545f491;
    const data = Buffer.alloc(200_000);
    for (let i = 0; i < data.length; i++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      data[i] = x & 0xff;
    }
    const f = join(dir, 'random.bin');
    await fsp.writeFile(f, data);
    const p = await probeSegment(f);
    assert.equal(p.ok, false);
    assert.match(p.error ?? '', /^not an MPEG-TS file \(sync byte missing at offset (0|188)\)$/);
  });

  test('a file shorter than one packet', async () => {
    const f = join(dir, 'short.ts');
    await fsp.writeFile(f, Buffer.from([0x47, 0x40, 0x00, 0x10, 0x00]));
    const p = await probeSegment(f);
    assert.equal(p.ok, false);
    assert.equal(p.truncated, true);
    assert.equal(p.error, 'no PAT');
  });

  test('a missing file rejects with ENOENT', async () => {
    await assert.rejects(probeSegment(join(dir, 'does-not-exist.ts')), { code: 'ENOENT' });
  });
});

describe('probeSegment on synthetic streams (edge cases real encoders do not produce on demand)', () => {
  test('PTS crossing the 33-bit wrap stays monotonic', async () => {
    const f = join(dir, 'wrap.ts');
    await writeSyntheticTs(f, { frames: 30, fps: 10, startPts: 2 ** 33 - 45_000 });
    const p = await probeSegment(f);
    assert.equal(p.ok, true, p.error);
    assert.equal(p.frames, 30);
    assertNear(p.durationMs, 3000, 1, 'durationMs');
    assertOffsets(p, [0, 1000, 2000], 1);
    assert.ok(p.firstPtsMs !== null && p.lastPtsMs !== null);
    assertNear(p.lastPtsMs - p.firstPtsMs, 2900, 1, 'last - first');
  });

  test('B-frame decode order: duration comes from display order', async () => {
    const f = join(dir, 'bframes.ts');
    await writeSyntheticTs(f, { frames: 40, fps: 20, gop: 10, bFrames: true, codec: 'h265' });
    const p = await probeSegment(f);
    assert.equal(p.frames, 40);
    assert.equal(p.keyframes, 4);
    assertNear(p.durationMs, 2000, 1, 'durationMs');
    assertOffsets(p, [0, 500, 1000, 1500], 1);
  });

  for (const codec of ['h264', 'h265'] as TestCodec[]) {
    test(`${codec} keyframes are found by NAL type alone and by random_access_indicator alone`, async () => {
      const nalOnly = join(dir, `nal-only-${codec}.ts`);
      const raiOnly = join(dir, `rai-only-${codec}.ts`);
      await writeSyntheticTs(nalOnly, { frames: 30, fps: 10, codec, rai: false });
      await writeSyntheticTs(raiOnly, { frames: 30, fps: 10, codec, nalKeyframes: false });
      for (const f of [nalOnly, raiOnly]) {
        const p = await probeSegment(f);
        assert.equal(p.codec, codec);
        assert.equal(p.keyframes, 3, f);
        assertOffsets(p, [0, 1000, 2000], 1);
      }
      const neither = join(dir, `no-key-${codec}.ts`);
      await writeSyntheticTs(neither, { frames: 30, fps: 10, codec, rai: false, nalKeyframes: false });
      const p = await probeSegment(neither);
      assert.equal(p.keyframes, 0);
      assert.deepEqual(p.keyframeOffsetsMs, []);
    });
  }

  test('last PES: unbounded length counts on a clean packet boundary, a known length must be met', async () => {
    const unbounded = join(dir, 'unbounded.ts');
    const bounded = join(dir, 'bounded.ts');
    await writeSyntheticTs(unbounded, { frames: 10, fps: 10, frameBytes: 5000 });
    await writeSyntheticTs(bounded, { frames: 10, fps: 10, frameBytes: 5000, pesLength: true });
    for (const [f, lengthKnown] of [[unbounded, false], [bounded, true]] as const) {
      const whole = await probeSegment(f);
      assert.deepEqual([whole.frames, whole.truncated], [10, false], f);
      // Cut 5 packets before the end: still on a packet boundary, inside the last PES.
      const data = await fsp.readFile(f);
      await fsp.writeFile(f, data.subarray(0, data.length - 5 * 188));
      const cut = await probeSegment(f);
      assert.deepEqual([cut.frames, cut.truncated], lengthKnown ? [9, true] : [10, false], f);
    }
  });

  test('a zero-filled tail (power cut after block allocation) ends the parse without failing', async () => {
    const f = join(dir, 'zero-tail.ts');
    await writeSyntheticTs(f, { frames: 20, fps: 10 });
    const data = await fsp.readFile(f);
    await fsp.writeFile(f, Buffer.concat([data.subarray(0, data.length - 100 * 188), Buffer.alloc(64 * 1024)]));
    const p = await probeSegment(f);
    assert.equal(p.ok, true, p.error);
    assert.equal(p.truncated, true);
    assert.ok(p.frames > 0 && p.frames < 20, `frames ${p.frames}`);
  });

  test('a ~60 MB segment probes quickly (timing reported, not asserted)', async (t) => {
    const f = join(dir, 'big.ts');
    // 1800 frames of ~33 KB: a 60 s, 30 fps, ~9 Mbit/s segment.
    await writeSyntheticTs(f, { frames: 1800, fps: 30, frameBytes: 33_000 });
    const { size } = await fsp.stat(f);
    const rounds = 3;
    let best = Infinity;
    let p: SegmentProbe | null = null;
    for (let i = 0; i < rounds; i++) {
      const t0 = process.hrtime.bigint();
      p = await probeSegment(f);
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
    }
    assert.ok(p);
    assert.equal(p.frames, 1800);
    assert.equal(p.keyframes, 60);
    assertNear(p.durationMs, 60_000, 1, 'durationMs');
    t.diagnostic(`probe of ${(size / 1e6).toFixed(1)} MB: best of ${rounds} ${best.toFixed(1)} ms = ${(size / 1e6 / (best / 1000)).toFixed(0)} MB/s`);
  });
});
