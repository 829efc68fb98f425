// systemd notify against a real AF_UNIX datagram socket: a python3 listener stands in for
// systemd (Node cannot bind one). READY waits for the first indexed segment, WATCHDOG comes
// about every second and stops while the camera is hung, STATUS says what runs, STOPPING at SIGTERM.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { after, test } from 'node:test';
import { readSegments, startDaemon, tmpDir, waitFor, writeConfig, type Daemon } from '../helpers/daemon';

const LISTENER = `
import json, os, socket, sys, time
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print(json.dumps({"bound": True}), flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps({"t": time.time() * 1000, "msg": data.decode("utf-8", "replace")}), flush=True)
`;

interface Datagram { t: number; lines: string[] }

class NotifyListener {
  readonly proc: ChildProcess;
  readonly got: Datagram[] = [];
  readonly bound: Promise<void>;

  constructor(readonly socketPath: string) {
    this.proc = spawn('python3', ['-u', '-c', LISTENER, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    const rl = readline.createInterface({ input: this.proc.stdout! });
    this.bound = new Promise((resolve) => {
      rl.on('line', (line) => {
        const m = JSON.parse(line) as { bound?: boolean; t?: number; msg?: string };
        if (m.bound) resolve();
        else if (m.msg !== undefined) this.got.push({ t: m.t ?? 0, lines: m.msg.split('\n').filter(Boolean) });
      });
    });
  }

  has(line: string | RegExp): Datagram[] {
    return this.got.filter((d) => d.lines.some((l) => (typeof line === 'string' ? l === line : line.test(l))));
  }
}

const cleanup: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanup) await c();
});

test('systemd notify: READY after the first segment, WATCHDOG ~1 s and withheld while hung, STATUS, STOPPING', { timeout: 120000 }, async (t) => {
  const dir = tmpDir();
  const listener = new NotifyListener(path.join(dir, 'notify.sock'));
  cleanup.push(() => void listener.proc.kill());
  await listener.bound;
  const STALL_S = 3;
  const cfg = writeConfig(dir, [{ name: 'front', segment_seconds: 3, stall_after_s: STALL_S }]);
  const d: Daemon = startDaemon(cfg, { NOTIFY_SOCKET: listener.socketPath, WATCHDOG_USEC: '2000000' });
  cleanup.push(async () => {
    if (d.alive) await d.killGroup();
  });

  const ready = await waitFor('READY=1', () => listener.has('READY=1')[0], 30000, 50);
  assert.ok(readSegments(d.dataDir, 'front').length > 0, 'READY came before the first segment was indexed');
  assert.ok(ready.lines.some((l) => /^STATUS=recording 1\/1 cameras/.test(l)), `READY status: ${ready.lines.join(' | ')}`);
  assert.equal(listener.has('WATCHDOG=1').filter((p) => p.t < ready.t).length, 0, 'no WATCHDOG before READY');

  await new Promise((r) => setTimeout(r, 5000));
  const pings = listener.has('WATCHDOG=1').map((p) => p.t);
  const gaps = pings.slice(1).map((v, i) => v - pings[i]!);
  t.diagnostic(`${pings.length} pings in the first 5 s, gaps ${gaps.map((g) => Math.round(g)).join(', ')} ms`);
  assert.ok(pings.length >= 4, `${pings.length} pings`);
  assert.ok(gaps.every((g) => g >= 500 && g <= 1600), 'a ping about every second');
  assert.ok(listener.has(/^STATUS=recording 1\/1 cameras, disk ok \d+% free, link standalone/).length > 0, 'STATUS text');

  // Hang the camera: the pings stop once frames stop advancing, and come back after the restart.
  const pid = await d.cameraPid('front');
  const stoppedAt = Date.now();
  process.kill(pid, 'SIGSTOP');
  await waitFor('a new camera pid', async () => ((await d.status()).cameras[0]?.pid ?? pid) !== pid, (STALL_S + 5) * 1000);
  const recoveredAt = await waitFor('recording again', async () => ((await d.status()).cameras[0]?.state === 'recording' ? Date.now() : 0), 20000, 100);
  await waitFor('pings after recovery', () => listener.has('WATCHDOG=1').some((p) => p.t > recoveredAt + 500), 5000);
  const around = listener.has('WATCHDOG=1').map((p) => p.t).filter((v) => v >= stoppedAt - 1500);
  const hole = Math.max(...around.slice(1).map((v, i) => v - around[i]!));
  t.diagnostic(`longest ping gap around the hang: ${Math.round(hole)} ms (stall_after_s ${STALL_S})`);
  assert.ok(hole >= 2500, `pings went on while the camera was hung (longest gap ${hole} ms)`);
  const lastBefore = Math.max(...around.filter((v) => v < recoveredAt - 1000));
  assert.ok(lastBefore - stoppedAt <= (STALL_S + 1.5) * 1000, `pings went on ${lastBefore - stoppedAt} ms into the hang`);

  const sigtermAt = Date.now();
  await d.stop();
  await waitFor('STOPPING=1', () => listener.has('STOPPING=1').find((p) => p.t >= sigtermAt - 100), 5000, 50);
  assert.equal((await d.exited).code, 0);
});
