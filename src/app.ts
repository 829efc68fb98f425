// The composition root: builds every module once, wires them together and owns their
// start/stop order. No module reaches for a global; everything it needs is passed in here.
import fs from 'node:fs';
import pkg from '../package.json';
import path from 'node:path';
import { EventBus } from './bus';
import type { Config } from './config/schema';
import { openDb, type Db } from './db';
import type { VigilEvents } from './events';
import type { Logger } from './log';
import { CameraStage, type CameraStatus } from './media/camera-stage';
import { resolveAll, type CameraPlan } from './pipeline/plan';
import { SegmentIndex } from './recording/segment-index';
import { SegmentRecorder, segmentDir } from './recording/segment-recorder';
import { RetentionPolicy, type RetentionStatus } from './retention/retention';
import { ControlServer } from './control/server';
import { buildCommands } from './control/commands';

export const VERSION: string = pkg.version;

export interface AppOptions {
  config: Config;
  log: Logger;
  configPath?: string;
  /** Camera child entry point; tests may point elsewhere. */
  childScript?: string;
  /** Pre-resolved plans (tests, --print-pipeline); resolved from the registry when absent. */
  plans?: CameraPlan[];
  /** Unix socket for the CLI; defaults to <data_dir>/vigil.sock, null disables it. */
  socketPath?: string | null;
}

export interface AppStatus {
  version: string;
  device: string;
  pid: number;
  startedAt: number;
  uptimeS: number;
  cameras: CameraStatus[];
  retention: RetentionStatus;
  segments: ReturnType<SegmentIndex['stats']>;
}

export class App {
  readonly bus: EventBus<VigilEvents>;
  private db: Db | null = null;
  private indexRef: SegmentIndex | null = null;
  private recorder: SegmentRecorder | null = null;
  private retention: RetentionPolicy | null = null;
  private control: ControlServer | null = null;
  readonly cameras: CameraStage[] = [];
  private readonly startedAt = Date.now();

  constructor(private readonly opts: AppOptions) {
    this.bus = new EventBus<VigilEvents>(opts.log.child({ module: 'bus' }));
  }

  get index(): SegmentIndex {
    if (!this.indexRef) throw new Error('app not started');
    return this.indexRef;
  }

  get config(): Config {
    return this.opts.config;
  }

  async start(): Promise<void> {
    const { config, log } = this.opts;
    fs.mkdirSync(config.data_dir, { recursive: true, mode: 0o750 });
    this.db = openDb(path.join(config.data_dir, 'vigil.db'));
    const index = (this.indexRef = new SegmentIndex(this.db));
    const recorder = (this.recorder = new SegmentRecorder({ index, bus: this.bus, log: log.child({ module: 'recorder' }), dataDir: config.data_dir }));

    // Boot recovery first: whatever a crash left open is probed and indexed before new footage.
    await recorder.recoverOpen();
    for (const cam of config.cameras) await recorder.scanOrphans(cam.name);

    const plans = this.opts.plans ?? (await resolveAll(config, log.child({ module: 'pipeline' })));
    this.retention = new RetentionPolicy({ config: config.retention, dataDir: config.data_dir, index, bus: this.bus, log: log.child({ module: 'retention' }) });
    for (const plan of plans) {
      const camLog = log.child({ module: 'camera', camera: plan.camera.name });
      this.cameras.push(new CameraStage({
        camera: plan.camera, encoder: plan.encoder.element, buildLaunch: plan.buildLaunch,
        segmentDir: segmentDir(config.data_dir, plan.camera.name), recorder, bus: this.bus, log: camLog, childScript: this.opts.childScript,
      }));
    }
    recorder.start();
    this.retention.start();
    for (const cam of this.cameras) cam.start();

    const socketPath = this.opts.socketPath === undefined ? path.join(config.data_dir, 'vigil.sock') : this.opts.socketPath;
    if (socketPath) {
      this.control = new ControlServer({ socketPath, commands: buildCommands(this), log: log.child({ module: 'control' }) });
      await this.control.start();
    }
    log.info({ cameras: this.cameras.map((c) => c.name), dataDir: config.data_dir, version: VERSION }, 'vigild started');
  }

  /** Stops cameras first (their EOS finalises segments), then the bookkeeping that indexes them. */
  async stop(): Promise<void> {
    await this.control?.stop();
    await Promise.all(this.cameras.map((c) => c.stop()));
    await this.retention?.stop();
    await this.recorder?.stop();
    this.db?.close();
    this.db = null;
  }

  /** Kills camera children at once; for fatal paths where a graceful stop is impossible. */
  killCameras(): void {
    for (const c of this.cameras) {
      const pid = c.snapshot().pid;
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch (err) {
          this.opts.log.warn({ pid, err }, 'could not kill camera process');
        }
      }
    }
  }

  status(): AppStatus {
    return {
      version: VERSION,
      device: this.opts.config.device.id,
      pid: process.pid,
      startedAt: this.startedAt,
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      cameras: this.cameras.map((c) => c.snapshot()),
      retention: this.retention?.snapshot() ?? { state: null, disk: null, deletedSegments: 0, deletedBytes: 0, lastError: null },
      segments: this.indexRef?.stats() ?? [],
    };
  }
}
