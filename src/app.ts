// The composition root: builds every module once, wires them together and owns their
// start/stop order. No module reaches for a global; everything it needs is passed in here.
// It is also the CommandContext through which control commands act on the running modules.
import fs from 'node:fs';
import pkg from '../package.json';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { EventBus } from './bus';
import type { Config } from './config/schema';
import { ConfigStore, type ConfigChanges } from './config/store';
import { openDb, type Db } from './db';
import type { VigilEvents } from './events';
import { Fleet } from './fleet/fleet';
import type { HealthPayload } from './fleet/topics';
import { CameraSet, camerasToBuild, type CameraChange } from './media/camera-set';
import { resolveAll, type CameraPlan } from './pipeline/plan';
import { SegmentIndex, type SegmentRow } from './recording/segment-index';
import { SegmentRecorder } from './recording/segment-recorder';
import { RetentionPolicy } from './retention/retention';
import { ControlServer } from './control/server';
import { buildCommands } from './control/commands';
import { EventLog } from './control/event-log';
import type { CommandContext, ConfigApplyResult, SelftestResult } from './control/commands/context';
import { CommandError } from './control/registry';
import { cameraPolicy, detectorPolicy } from './supervision/stages';
import { DetectionStore } from './detection/detection-store';
import { DetectorSet } from './detection/detector-set';
import { readiness, readStages, statusLine, type StageView } from './supervision/readings';
import { Supervisor } from './supervision/supervisor';
import { ClipStore } from './clips/clip-store';
import { ClipService } from './clips/service';
import type { AppOptions, AppStatus, FleetHooks } from './app-types';

export const VERSION: string = pkg.version;

export type { AppOptions, AppStatus, FleetHooks } from './app-types';

export class App implements CommandContext {
  readonly bus: EventBus<VigilEvents>;
  private db: Db | null = null;
  private indexRef: SegmentIndex | null = null;
  private recorder: SegmentRecorder | null = null;
  private retention: RetentionPolicy | null = null;
  private control: ControlServer | null = null;
  private camerasRef: CameraSet | null = null;
  private detectors: DetectorSet | null = null;
  private fleet: Fleet | null = null;
  private supervisor: Supervisor | null = null;
  private clips: ClipService | null = null;
  /** Cameras that opened a segment since start: READY waits for them. */
  private readonly recordedOnce = new Set<string>();
  private current: Config;
  private readonly hooks: FleetHooks;
  /** Commands that change stages run one at a time, in arrival order; never rejects. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly startedAt = Date.now();
  /** Recent bus events for events.recent (`vigil events tail`). */
  readonly eventLog: EventLog;

  constructor(private readonly opts: AppOptions) {
    this.bus = new EventBus<VigilEvents>(opts.log.child({ module: 'bus' }));
    this.eventLog = new EventLog(this.bus);
    this.current = opts.config;
    this.hooks = { health: opts.health, selftest: opts.selftest, onConfigApplied: opts.onConfigApplied };
  }

  get index(): SegmentIndex {
    if (!this.indexRef) throw new Error('app not started');
    return this.indexRef;
  }

  /** The effective config: what the daemon runs with now, config.set changes included. */
  get config(): Config {
    return this.current;
  }

  private get cameras(): CameraSet {
    if (!this.camerasRef) throw new Error('app not started');
    return this.camerasRef;
  }

  /** For fleet wiring built after the App: fills in the hooks it provides. */
  attachFleet(hooks: FleetHooks): void {
    Object.assign(this.hooks, hooks);
  }

  async start(): Promise<void> {
    const { log } = this.opts;
    const config = this.current;
    // First, so boot recovery's events are in the ring too.
    this.eventLog.start();
    fs.mkdirSync(config.data_dir, { recursive: true, mode: 0o750 });
    this.db = openDb(path.join(config.data_dir, 'vigil.db'));
    const index = (this.indexRef = new SegmentIndex(this.db));
    const recorder = (this.recorder = new SegmentRecorder({ index, bus: this.bus, log: log.child({ module: 'recorder' }), dataDir: config.data_dir }));
    // The outbox opens before recovery so that what recovery finds is reported to the fleet too.
    const fleet = (this.fleet = new Fleet({ config, db: this.db, bus: this.bus, status: () => this.status(), version: VERSION, log }));
    fleet.open();
    this.attachFleet({
      health: this.hooks.health ?? (() => fleet.health()),
      selftest: this.hooks.selftest ?? ((n) => fleet.selftest(n)),
      onConfigApplied: this.hooks.onConfigApplied ?? ((next, prev) => fleet.applyConfig(next, prev)),
    });

    // Boot recovery first: whatever a crash left open is probed and indexed before new footage.
    await recorder.recoverOpen();
    for (const cam of config.cameras) await recorder.scanOrphans(cam.name);

    const plans = this.opts.plans ?? (await resolveAll(config, log.child({ module: 'pipeline' })));
    this.retention = new RetentionPolicy({ config: config.retention, dataDir: config.data_dir, index, bus: this.bus, log: log.child({ module: 'retention' }) });
    const cameras = (this.camerasRef = new CameraSet({
      dataDir: config.data_dir, recorder, bus: this.bus, log, childScript: this.opts.childScript, policy: cameraPolicy(config),
      rebuild: async (camera) => (await this.resolvePlans({ ...this.current, cameras: [camera] }))[0] as CameraPlan,
      onFatal: (cause) => this.fatal(cause),
    }));
    this.bus.on('segment.opened', 'app', (e) => void this.recordedOnce.add(e.camera));
    this.supervisor = new Supervisor({
      readings: () => readStages(this.current, this.view()), readiness: () => readiness(this.view(), this.recordedOnce), statusLine: () => this.statusLine(),
      notifier: this.opts.notifier ?? null, bus: this.bus, log: log.child({ module: 'supervisor' }),
    });
    for (const plan of plans) cameras.add(plan);
    this.detectors = new DetectorSet({ dataDir: config.data_dir, bus: this.bus, log, policy: detectorPolicy(config), store: new DetectionStore(this.db) });
    // Before retention's first pass, so the segments pending clips need are already protected.
    this.clips = new ClipService({ config: () => this.current, index, store: new ClipStore(this.db), bus: this.bus, log: log.child({ module: 'clips' }), dataDir: config.data_dir });
    await this.clips.start();
    recorder.start();
    this.retention.start();
    cameras.startAll();
    // Detectors connect to the cameras' tap sockets and retry until those exist.
    this.detectors.startAll(config);
    // After the cameras: a camera not yet started reads as stopped, which READY would accept.
    this.supervisor.start();

    // One registry, two transports: the local socket and MQTT serve the same commands.
    const commands = buildCommands(this);
    const socketPath = this.opts.socketPath === undefined ? path.join(config.data_dir, 'vigil.sock') : this.opts.socketPath;
    if (socketPath) {
      this.control = new ControlServer({ socketPath, commands, log: log.child({ module: 'control' }) });
      await this.control.start();
    }
    await fleet.connect(commands);
    log.info({ cameras: cameras.names(), dataDir: config.data_dir, version: VERSION }, 'vigild started');
  }

  /** Stops cameras first (their EOS finalises segments), then the bookkeeping that indexes them. */
  async stop(): Promise<void> {
    // First: systemd learns at once that the stop is deliberate, and the watchdog pings end.
    await this.supervisor?.stop();
    await this.control?.stop();
    // A command already changing stages finishes first, so it cannot start a camera after this stop.
    await this.queue;
    // Detectors first: their last 'end' events still reach the bus and the outbox.
    await this.detectors?.stopAll();
    await this.camerasRef?.stopAll();
    await this.retention?.stop();
    await this.recorder?.stop();
    await this.clips?.stop();
    // Last, so the fleet hears about the final segments before `stopped` is announced.
    await this.fleet?.stop();
    this.db?.close();
    this.db = null;
  }

  /** Kills camera children at once; for fatal paths where a graceful stop is impossible. */
  killCameras(): void {
    for (const pid of [...(this.camerasRef?.pids() ?? []), ...(this.detectors?.pids() ?? [])]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (err) {
        this.opts.log.warn({ pid, err }, 'could not kill camera process');
      }
    }
  }

  private fatal(cause: string): void {
    if (this.opts.onFatal) this.opts.onFatal(cause);
    else this.opts.log.fatal({ cause }, 'fatal stage failure and no handler; the daemon keeps running degraded');
  }

  /** e.g. "recording 2/2 cameras, disk ok 31% free, link connected, outbox 0". */
  statusLine(): string {
    return statusLine(this.current, this.view());
  }

  private view(): StageView {
    const fleet = this.fleet?.opened ? this.fleet : null;
    return {
      cameras: this.camerasRef?.entries() ?? [],
      link: fleet ? fleet.linkState().state : null,
      outboxDepth: fleet ? fleet.outbox.stats().depth : null,
      retention: this.retention?.snapshot() ?? null,
      detectors: this.detectors?.entries() ?? [],
    };
  }

  status(): AppStatus {
    return {
      version: VERSION,
      device: this.current.device.id,
      pid: process.pid,
      startedAt: this.startedAt,
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      cameras: this.camerasRef?.snapshots() ?? [],
      detectors: this.detectors?.snapshots() ?? [],
      retention: this.retention?.snapshot() ?? { state: null, disk: null, deletedSegments: 0, deletedBytes: 0, lastError: null },
      segments: this.indexRef?.stats() ?? [],
      fleet: this.fleet?.opened ? { link: this.fleet.linkState(), outbox: this.fleet.outbox.stats() } : null,
      stages: this.supervisor?.stageStatus() ?? [],
      supervisor: this.supervisor?.snapshot() ?? null,
      clips: this.clips?.status() ?? null,
    };
  }

  // ---- CommandContext: what control commands may do. Argument checks live in the handlers.

  listSegments(camera: string, fromMs: number, toMs: number, limit: number): SegmentRow[] {
    return this.index.list(camera, fromMs, toMs, limit);
  }

  async health(): Promise<HealthPayload> {
    if (!this.hooks.health) throw new CommandError('unavailable', 'no health collector: the fleet link is not running');
    return this.hooks.health();
  }

  async selftest(count: number): Promise<SelftestResult> {
    if (!this.hooks.selftest) throw new CommandError('unavailable', 'no outbox');
    return this.hooks.selftest(count);
  }

  clipService(): ClipService {
    if (!this.clips) throw new CommandError('unavailable', 'the clip service is not running');
    return this.clips;
  }

  stopRecording(names: string[]): Promise<CameraChange[]> {
    return this.serial(() => Promise.all(names.map((n) => (this.cameras.has(n) ? this.cameras.stop(n) : disabled(n)))));
  }

  startRecording(names: string[]): Promise<CameraChange[]> {
    return this.serial(async () => names.map((n) => (this.cameras.has(n) ? this.cameras.start(n) : disabled(n))));
  }

  stageNames(): string[] {
    const detectors = (this.detectors?.names() ?? []).map((n) => `detector:${n}`);
    return [...this.cameras.names().map((n) => `camera:${n}`), ...detectors, 'retention'];
  }

  restartStage(stage: string): Promise<unknown> {
    return this.serial(async () => {
      if (stage === 'retention' && this.retention) {
        await this.retention.trigger();
        return { stage, ...this.retention.snapshot() };
      }
      if (stage.startsWith('detector:') && this.detectors) {
        const cam = stage.slice('detector:'.length);
        return { stage, ...(await this.detectors.restart(cam)) };
      }
      const name = stage.replace(/^camera:/, '');
      if (this.cameras.isHeld(name)) throw new CommandError('camera_stopped', `camera "${name}" was stopped by recording.stop; use recording.start`);
      return { stage, ...(await this.cameras.restart(name, 'restart by command')) };
    });
  }

  async applyConfigChanges(changes: ConfigChanges): Promise<ConfigApplyResult> {
    const file = this.opts.configPath;
    if (!file) throw new CommandError('unavailable', 'vigild runs without a config file; there is nothing to change');
    return this.serial(async () => {
      const store = new ConfigStore(file);
      const prepared = await store.prepare(changes);
      const previous = this.current;
      const next = prepared.config;
      // Pipelines are built before the file is written: a camera that cannot be built must not reach it.
      const build = camerasToBuild(previous, next);
      const plans = build.length > 0 ? await this.resolvePlans({ ...next, cameras: build }) : [];
      await store.commit(prepared);
      this.current = next;
      return this.applyConfig(previous, next, plans);
    });
  }

  private async resolvePlans(config: Config): Promise<CameraPlan[]> {
    try {
      return await resolveAll(config, this.opts.log.child({ module: 'pipeline' }));
    } catch (err) {
      throw new CommandError('invalid_config', (err as Error).message.replace(/\n\s*/g, '; '));
    }
  }

  /** Restarts or updates only what differs between the two configs. */
  private async applyConfig(previous: Config, next: Config, plans: CameraPlan[]): Promise<ConfigApplyResult> {
    const applied = await this.cameras.reconcile(next, plans, 'config changed');
    if (this.detectors) applied.push(...(await this.detectors.reconcile(next)));
    if (!isDeepStrictEqual(previous.retention, next.retention)) {
      this.retention?.updateConfig(next.retention);
      void this.clips?.enforceQuota().catch((err: unknown) => this.opts.log.error({ err }, 'clip quota pass failed'));
      applied.push('retention');
    }
    if (previous.log.level !== next.log.level) {
      // Child loggers read the level through their prototype, so setting the root's reaches them all.
      this.opts.log.level = next.log.level;
      applied.push('log');
    }
    const restartRequired: string[] = [];
    if (this.hooks.onConfigApplied) {
      const fleet = await this.hooks.onConfigApplied(next, previous);
      applied.push(...fleet.applied);
      restartRequired.push(...fleet.restart_required);
    } else if (!isDeepStrictEqual(previous.mqtt, next.mqtt) || !isDeepStrictEqual(previous.outbox, next.outbox)) {
      restartRequired.push('fleet');
    }
    this.opts.log.info({ applied, restartRequired }, 'config change applied');
    return { applied, restart_required: restartRequired };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    // The caller gets the outcome through `run`; the queue only orders, so it must never reject.
    this.queue = run.then(() => undefined, () => undefined);
    return run;
  }
}

function disabled(camera: string): CameraChange {
  return { camera, previous: 'disabled', state: 'disabled', changed: false, note: 'disabled in the config' };
}
