// Backoff: capped exponential delays; jitter spreads them within ±jitter of the base delay,
// never above the cap; reset starts over.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../../src/supervision/backoff';

/** Deterministic PRNG (mulberry32) so jitter bounds are checked over many reproducible draws. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('defaults with jitter 0: 1, 2, 4, 8, 16 s, then capped at 30 s', () => {
  const b = new Backoff({ jitter: 0 });
  const seq = Array.from({ length: 9 }, () => b.next());
  assert.deepEqual(seq, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  assert.equal(b.attempt, 9);
});

test('custom initial, factor and cap are honoured', () => {
  const b = new Backoff({ initialMs: 100, factor: 3, maxMs: 1000, jitter: 0 });
  assert.deepEqual(Array.from({ length: 5 }, () => b.next()), [100, 300, 900, 1000, 1000]);
});

test('stays at the cap after very many attempts (no overflow to NaN or Infinity)', () => {
  const b = new Backoff({ jitter: 0 });
  let last = 0;
  for (let i = 0; i < 2000; i++) last = b.next();
  assert.equal(last, 30000);
});

test('jitter 0.2 with a seeded random: every delay within ±20 % of its base, never above the cap, and actually spread', () => {
  const random = seeded(42);
  const b = new Backoff({ jitter: 0.2, random });
  const bases = [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000];
  const values: number[] = [];
  for (let round = 0; round < 50; round++) {
    for (const base of bases) {
      const d = b.next();
      values.push(d);
      assert.ok(d >= Math.floor(base * 0.8) && d <= Math.ceil(base * 1.2), `delay ${d} outside ±20 % of ${base}`);
      assert.ok(d <= 30000, `delay ${d} above the cap`);
      assert.equal(Number.isInteger(d), true, `delay ${d} is not whole milliseconds`);
    }
    b.reset();
  }
  // With 50 draws per base some must land below and some above the base (else there is no jitter).
  const firsts = values.filter((_, i) => i % bases.length === 0);
  assert.ok(firsts.some((d) => d < 1000) && firsts.some((d) => d > 1000), `no spread: ${firsts.join(',')}`);
});

test('jitter extremes map to exactly base ∓ jitter (random 0 → low end, random → 1 → high end)', () => {
  const low = new Backoff({ initialMs: 1000, jitter: 0.5, random: () => 0 });
  assert.deepEqual([low.next(), low.next(), low.next()], [500, 1000, 2000]);
  const high = new Backoff({ initialMs: 1000, maxMs: 100000, jitter: 0.5, random: () => 0.999999 });
  const h = [high.next(), high.next()];
  assert.ok(h[0] === 1500 && h[1] === 3000, `high end ${h.join(',')}`);
  const mid = new Backoff({ initialMs: 1000, jitter: 0.5, random: () => 0.5 });
  assert.equal(mid.next(), 1000);
});

test('same seed gives the same sequence; different seeds differ (devices do not retry in lock-step)', () => {
  const run = (seed: number) => {
    const b = new Backoff({ random: seeded(seed) });
    return Array.from({ length: 6 }, () => b.next());
  };
  assert.deepEqual(run(7), run(7));
  assert.notDeepEqual(run(7), run(8));
});

test('reset starts the sequence over and zeroes the attempt count', () => {
  const b = new Backoff({ jitter: 0 });
  b.next();
  b.next();
  b.next();
  assert.equal(b.attempt, 3);
  b.reset();
  assert.equal(b.attempt, 0);
  assert.deepEqual([b.next(), b.next()], [1000, 2000]);
});
