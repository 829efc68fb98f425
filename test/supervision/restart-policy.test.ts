// Restart policy as pure logic: the budget's sliding window, failure classification, the
// escalation decision and the hardware → software degradation with a fake plan builder.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cameraSchema, configSchema, type CameraConfig } from '../../src/config/schema';
import {
  classifyPipelineError, decideEscalation, degradedCamera, planEscalation, RestartBudget, RestartPolicy, type EscalationPlan,
} from '../../src/supervision/restart-policy';
import { stageTable } from '../../src/supervision/stages';

const camera = (video = { width: 1920, height: 1080, fps: 30 }): CameraConfig =>
  cameraSchema.parse({ name: 'front', source: { kind: 'rtsp', uri: 'rtsp://cam/stream' }, video, encoder: { prefer: 'hardware' } });

test('budget: 5 crashes in the window are tolerated, the 6th spends it; old crashes slide out', () => {
  const b = new RestartBudget({ maxRestarts: 5, windowMs: 300_000 });
  for (let i = 0; i < 5; i++) assert.equal(b.record(i * 1000), false, `crash ${i + 1}`);
  assert.equal(b.used(5000), 5);
  assert.equal(b.record(5000), true);
  const slow = new RestartBudget({ maxRestarts: 5, windowMs: 300_000 });
  // One crash a minute and a bit: never more than 5 inside any 5-minute window.
  for (let i = 0; i < 20; i++) assert.equal(slow.record(i * 61_000), false, `slow crash ${i + 1}`);
  assert.equal(slow.used(19 * 61_000), 5);
  slow.reset();
  assert.equal(slow.used(0), 0);
});

test('policy: crashes back off 1 s doubling to the 30 s cap and consume the budget; source trouble 5 s → 30 s forever', () => {
  const p = new RestartPolicy({ crash: { initialMs: 1000, maxMs: 30000 }, source: { initialMs: 5000, maxMs: 30000 }, budget: { maxRestarts: 3, windowMs: 60_000 }, random: () => 0.5 });
  assert.deepEqual([1, 2, 3].map((i) => p.failed('crash', i).delayMs), [1000, 2000, 4000]);
  assert.equal(p.failed('crash', 4).budgetSpent, true);
  const src = [...Array(8).keys()].map((i) => p.failed('source', 10 + i));
  assert.deepEqual(src.map((d) => d.delayMs), [5000, 10000, 20000, 30000, 30000, 30000, 30000, 30000]);
  assert.ok(src.every((d) => !d.budgetSpent), 'source trouble never spends the budget');
  p.sourceBack();
  assert.equal(p.failed('source', 100).delayMs, 5000);
  const cap = new RestartPolicy({ crash: { initialMs: 1000, maxMs: 30000 }, source: { initialMs: 5000, maxMs: 30000 }, budget: { maxRestarts: 100, windowMs: 1 }, random: () => 0.5 });
  assert.deepEqual([...Array(7).keys()].map((i) => cap.failed('crash', i * 10).delayMs), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
});

test('classification: source elements and the watchdog are source trouble, everything else a crash', () => {
  for (const e of ['src', 'wd', 'rtspsrc0', 'v4l2src0', 'nvarguscamerasrc0', 'libcamerasrc1', 'filesrc0', 'uridecodebin0', 'souphttpsrc0', 'udpsrc3']) {
    assert.equal(classifyPipelineError(e), 'source', e);
  }
  for (const e of ['typefind', 'x264enc0', 'rec', 'tap', 'mpegtsmux0', 'decodebin0', '?']) assert.equal(classifyPipelineError(e), 'crash', e);
});

test('escalation decision: hardware → degrade once; software or degraded → exit', () => {
  assert.equal(decideEscalation({ hardware: true, degraded: false }, 'x').action, 'degrade');
  assert.equal(decideEscalation({ hardware: true, degraded: true }, 'x').action, 'exit');
  assert.equal(decideEscalation({ hardware: false, degraded: false }, 'x').action, 'exit');
  assert.match(decideEscalation({ hardware: false, degraded: false }, 'camera process exited with code 2').cause, /code 2/);
});

test('degraded camera: software, half resolution, even sizes, never below the schema minimum', () => {
  const d = degradedCamera(camera());
  assert.equal(d.encoder.prefer, 'software');
  assert.deepEqual(d.video, { width: 960, height: 540, fps: 30 });
  assert.deepEqual(degradedCamera(camera({ width: 1278, height: 718, fps: 25 })).video, { width: 638, height: 358, fps: 25 });
  assert.deepEqual(degradedCamera(camera({ width: 100, height: 66, fps: 5 })).video, { width: 64, height: 64, fps: 5 });
  assert.equal(cameraSchema.safeParse(d).success, true);
});

test('planEscalation with a fake plan builder: hardware plan rebuilt in software at half size, then exit', async () => {
  interface FakePlan extends EscalationPlan { encoder: { hardware: boolean; element: string } }
  const built: CameraConfig[] = [];
  const rebuild = async (cam: CameraConfig): Promise<FakePlan> => {
    built.push(cam);
    return { camera: cam, encoder: { hardware: cam.encoder.prefer !== 'software', element: cam.encoder.prefer === 'software' ? 'x264enc' : 'nvv4l2h264enc' } };
  };
  const hw: FakePlan = { camera: camera(), encoder: { hardware: true, element: 'nvv4l2h264enc' } };
  const first = await planEscalation(hw, false, 'crash loop', rebuild);
  assert.equal(first.action, 'degrade');
  assert.ok(first.action === 'degrade');
  assert.equal(first.plan.encoder.element, 'x264enc');
  assert.deepEqual(built.map((c) => [c.encoder.prefer, c.video.width, c.video.height]), [['software', 960, 540]]);
  // The degraded plan crash-loops as well: nothing is left but to exit.
  const second = await planEscalation(first.plan, true, 'crash loop', rebuild);
  assert.equal(second.action, 'exit');
  assert.equal(built.length, 1, 'no second rebuild');
  // Software from the start: exit at once.
  assert.equal((await planEscalation({ ...hw, encoder: { hardware: false, element: 'x264enc' } }, false, 'x', rebuild)).action, 'exit');
  // A degraded pipeline that cannot be built is an exit too.
  const failing = await planEscalation(hw, false, 'x', () => Promise.reject(new Error('no x264enc')));
  assert.equal(failing.action, 'exit');
  assert.match(failing.cause, /no x264enc/);
});

test('stage table: cameras critical with their stall time and budget; fleet not critical; retention critical', () => {
  const cfg = configSchema.parse({
    device: { id: 'd' }, supervisor: { restart_budget: 3, budget_window_s: 30 },
    cameras: [{ name: 'a', source: { kind: 'test' }, watchdog: { stall_after_s: 4 } }, { name: 'b', enabled: false, source: { kind: 'test' } }],
  });
  const t = stageTable(cfg);
  assert.deepEqual(t.map((s) => [s.name, s.critical, s.stallAfterS]), [['camera:a', true, 4], ['fleet', false, null], ['retention', true, null]]);
  assert.deepEqual(t[0]?.restart?.budget, { maxRestarts: 3, windowMs: 30_000 });
  assert.deepEqual(t[0]?.restart?.crash, { initialMs: 1000, maxMs: 30000 });
  assert.deepEqual(t[0]?.restart?.source, { initialMs: 5000, maxMs: 30000 });
  assert.deepEqual(configSchema.parse({ device: { id: 'd' }, cameras: [{ name: 'a', source: { kind: 'test' } }] }).supervisor, { restart_budget: 5, budget_window_s: 300 });
});
