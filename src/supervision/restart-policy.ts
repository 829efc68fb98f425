// Restart policy of one camera, as pure logic: how a failure is classified (crash or source
// trouble), how long to wait before the next try, whether the restart budget is spent and
// what escalation follows. CameraStage feeds it events; tests drive it with fake clocks.
import type { CameraConfig } from '../config/schema';
import { Backoff } from './backoff';

/** Elements that are the camera's source: their errors mean "source unavailable", not a crash. */
const SOURCE_ELEMENT = /^(src|rtspsrc|v4l2src|nvarguscamerasrc|libcamerasrc|filesrc|uridecodebin|souphttpsrc|udpsrc|rtpbin|manager)\d*$/;
/** The pipeline's watchdog: it fires when the source stops delivering frames. */
const WATCHDOG_ELEMENT = 'wd';

export type FailureKind = 'crash' | 'source';

/** A pipeline error from the source or the watchdog is source trouble; anything else is a crash. */
export function classifyPipelineError(element: string): FailureKind {
  return element === WATCHDOG_ELEMENT || SOURCE_ELEMENT.test(element) ? 'source' : 'crash';
}

export interface BudgetSpec {
  /** Crashes tolerated inside the window; the next one spends the budget. */
  maxRestarts: number;
  windowMs: number;
}

/** A sliding window of crash times: more than maxRestarts inside windowMs spends the budget. */
export class RestartBudget {
  private crashes: number[] = [];

  constructor(readonly spec: BudgetSpec) {}

  /** Records one crash at `now`; true when this crash spends the budget. */
  record(now: number): boolean {
    this.crashes = this.crashes.filter((t) => now - t < this.spec.windowMs);
    this.crashes.push(now);
    return this.crashes.length > this.spec.maxRestarts;
  }

  /** Crashes still inside the window at `now`. */
  used(now: number): number {
    return this.crashes.filter((t) => now - t < this.spec.windowMs).length;
  }

  reset(): void {
    this.crashes = [];
  }
}

export type Escalation =
  | { action: 'degrade'; cause: string }
  | { action: 'exit'; cause: string };

/**
 * What follows a spent budget. A hardware encoder gets one more chance in software at half the
 * resolution (a wedged VPU or an overheated SoC are the usual suspects); a camera that fails in
 * software too is beyond what vigil can fix in-process, so the daemon exits and systemd acts.
 */
export function decideEscalation(plan: { hardware: boolean; degraded: boolean }, cause: string): Escalation {
  if (plan.hardware && !plan.degraded) return { action: 'degrade', cause: `restart budget spent on a hardware encoder (${cause}); degrading to software at half resolution` };
  return { action: 'exit', cause: `restart budget spent (${cause}); exiting for systemd to restart vigil` };
}

/** Half a dimension, kept even (encoders want even sizes) and within the schema's minimum. */
function half(n: number): number {
  return Math.max(64, Math.floor(n / 4) * 2);
}

/** The camera config of degraded mode: software encoder, half the resolution. */
export function degradedCamera(camera: CameraConfig): CameraConfig {
  return {
    ...camera,
    encoder: { ...camera.encoder, prefer: 'software' },
    video: { ...camera.video, width: half(camera.video.width), height: half(camera.video.height) },
  };
}

export interface RetryDecision {
  delayMs: number;
  attempt: number;
  /** Set when a crash spent the budget: do not retry, escalate. */
  budgetSpent: boolean;
}

export interface PolicySpec {
  crash: { initialMs: number; maxMs: number };
  source: { initialMs: number; maxMs: number };
  budget: BudgetSpec;
  random?: () => number;
}

/** Crashes back off 1 s → 30 s and consume the budget; source trouble retries 5 s → 30 s forever. */
export class RestartPolicy {
  private readonly crashBackoff: Backoff;
  private readonly sourceBackoff: Backoff;
  readonly budget: RestartBudget;

  constructor(spec: PolicySpec) {
    this.crashBackoff = new Backoff({ ...spec.crash, random: spec.random });
    this.sourceBackoff = new Backoff({ ...spec.source, random: spec.random });
    this.budget = new RestartBudget(spec.budget);
  }

  failed(kind: FailureKind, now: number): RetryDecision {
    if (kind === 'source') {
      const delayMs = this.sourceBackoff.next();
      return { delayMs, attempt: this.sourceBackoff.attempt, budgetSpent: false };
    }
    const budgetSpent = this.budget.record(now);
    const delayMs = this.crashBackoff.next();
    return { delayMs, attempt: this.crashBackoff.attempt, budgetSpent };
  }

  /** A run that recorded long enough: the next crash starts the backoff over. */
  healthy(): void {
    this.crashBackoff.reset();
  }

  /** Frames are back: the next source outage starts the gentle backoff over. */
  sourceBack(): void {
    this.sourceBackoff.reset();
  }

  /** Operator restarts and escalations start from a clean slate. */
  reset(): void {
    this.crashBackoff.reset();
    this.sourceBackoff.reset();
    this.budget.reset();
  }
}

/** The plan fields escalation needs; CameraPlan satisfies it. */
export interface EscalationPlan {
  camera: CameraConfig;
  encoder: { hardware: boolean };
}

export type EscalationOutcome<P> = { action: 'degrade'; plan: P; cause: string } | { action: 'exit'; cause: string };

/**
 * Applies decideEscalation: for 'degrade' it builds the degraded plan with `rebuild` (the
 * pipeline resolver, or a fake in tests). A degraded plan that cannot be built is an exit.
 */
export async function planEscalation<P extends EscalationPlan>(
  plan: P, degraded: boolean, cause: string, rebuild: (camera: CameraConfig) => Promise<P>,
): Promise<EscalationOutcome<P>> {
  const decision = decideEscalation({ hardware: plan.encoder.hardware, degraded }, cause);
  if (decision.action === 'exit') return decision;
  try {
    return { action: 'degrade', plan: await rebuild(degradedCamera(plan.camera)), cause: decision.cause };
  } catch (err) {
    return { action: 'exit', cause: `degraded pipeline cannot be built (${(err as Error).message}); ${decideEscalation({ hardware: false, degraded: true }, cause).cause}` };
  }
}
