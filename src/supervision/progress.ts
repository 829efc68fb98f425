// Progress, not liveness: what a camera child's heartbeats say. Heartbeats that stop mean the
// child is hung; heartbeats whose framesOut no longer advances mean the pipeline is stalled.
import type { PipelineCounters } from '../media/protocol';

/** Time allowed from spawn to first frame (RTSP connect, sensor warm-up) on top of stall_after_s. */
const STARTUP_GRACE_MS = 10000;
/** A child gets this long from spawn to its first heartbeat (Node start-up) before a silence counts as a hang. */
const HANG_GRACE_MS = 5000;

export type ProgressVerdict = { kind: 'hang'; silentMs: number } | { kind: 'stall'; idleMs: number } | null;

export class ProgressWatch {
  private lastProgressAt = 0;
  private lastHeartbeatAt = 0;
  private framesOut = 0;
  private prev: { at: number; framesIn: number } | null = null;
  /** Frames in per second over the last heartbeat interval. */
  fpsIn = 0;

  /** A new child: the clocks start over with the start-up grace. */
  spawned(now: number): void {
    this.lastProgressAt = now + STARTUP_GRACE_MS;
    this.lastHeartbeatAt = now + HANG_GRACE_MS;
    this.framesOut = 0;
    this.prev = null;
    this.fpsIn = 0;
  }

  /** Records one heartbeat; true when framesOut advanced since the last one. */
  heartbeat(now: number, at: number, c: PipelineCounters): boolean {
    if (this.prev && at > this.prev.at) this.fpsIn = Math.round(((c.framesIn - this.prev.framesIn) * 1000 / (at - this.prev.at)) * 10) / 10;
    this.prev = { at, framesIn: c.framesIn };
    this.lastHeartbeatAt = now;
    const advanced = c.framesOut > this.framesOut;
    this.framesOut = c.framesOut;
    if (advanced) this.lastProgressAt = now;
    return advanced;
  }

  /** Frames advanced within the stall time. */
  progressing(now: number, stallMs: number): boolean {
    return now - this.lastProgressAt <= stallMs;
  }

  check(now: number, stallMs: number): ProgressVerdict {
    const silentMs = now - this.lastHeartbeatAt;
    if (silentMs > stallMs) return { kind: 'hang', silentMs };
    const idleMs = now - this.lastProgressAt;
    return idleMs > stallMs ? { kind: 'stall', idleMs } : null;
  }
}
