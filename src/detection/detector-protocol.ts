// Messages between the daemon and a detector child process (Node IPC, JSON).
import type { ObjectEvent } from '../events';
import type { WorkerInit } from './inference-worker';
import type { Zone } from './zones';

export interface DetectorSpec {
  camera: string;
  tapSocket: string;
  snapshotDir: string;
  heartbeatMs: number;
  worker: WorkerInit;
  zones: Zone[];
  tracker: { minHits: number; lostAfterMs: number; iouMatch: number; updateMinIntervalMs: number; boxChange: number; scoreChange: number };
}

export interface DetectorCounters {
  /** Frames read from the tap socket. */
  framesIn: number;
  /** Frames run through the model. */
  inferences: number;
  /** Frames replaced by a newer one while the model was busy. */
  staleDropped: number;
  runErrors: number;
  connected: boolean;
  events: number;
  inferP50Ms: number | null;
  inferP95Ms: number | null;
  /** Inferences per second over the last 5 s. */
  fps: number;
}

export type DetectorMessage =
  | { type: 'ready'; provider: string; loadMs: number; warnings: string[]; labels: string[] }
  | { type: 'heartbeat'; at: number; counters: DetectorCounters }
  | { type: 'object'; event: ObjectEvent }
  | { type: 'warning'; message: string }
  | { type: 'stopped'; reason: string; counters: DetectorCounters }
  | { type: 'fatal'; phase: 'load' | 'runtime'; message: string };

export type DetectorParentMessage = { type: 'stop'; reason: string };
