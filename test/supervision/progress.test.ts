// ProgressWatch: heartbeats that stop are a hang; heartbeats whose framesOut stands still are a
// stall; both only after the start-up grace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PipelineCounters } from '../../src/media/protocol';
import { ProgressWatch } from '../../src/supervision/progress';

const c = (framesOut: number): PipelineCounters => ({ framesIn: framesOut, framesOut, framesDropped: 0, framesDuplicated: 0, tapFrames: 0, recQueueFrames: 0 });

test('hang, stall and progress verdicts', () => {
  const w = new ProgressWatch();
  w.spawned(0);
  assert.equal(w.check(8000, 3000), null, 'start-up grace (5 s) plus the stall time');
  assert.equal(w.check(8001, 3000)?.kind, 'hang', 'no heartbeat at all after the grace');
  assert.equal(w.heartbeat(1000, 1000, c(30)), true);
  assert.equal(w.heartbeat(2000, 2000, c(60)), true);
  assert.equal(w.fpsIn, 30);
  assert.equal(w.progressing(4000, 3000), true);
  // Heartbeats keep coming, frames do not.
  for (let t = 3000; t <= 6000; t += 1000) assert.equal(w.heartbeat(t, t, c(60)), false);
  assert.deepEqual(w.check(6000, 3000), { kind: 'stall', idleMs: 4000 });
  assert.equal(w.progressing(6000, 3000), false);
  // Heartbeats stop: a hang wins over a stall.
  assert.deepEqual(w.check(9500, 3000), { kind: 'hang', silentMs: 3500 });
});
