// Automatic clip triggers: detection events for a camera's `clips.on` labels open a clip
// [t − pre_s, t + post_s]; triggers that come within merge_gap_s of the open clip's end extend
// it instead of making another, up to max_s. Pure logic, no I/O: the clip service applies it.
import type { ClipsConfig } from '../config/schema';
import type { ObjectEvent } from '../events';

export interface OpenWindow { startMs: number; endMs: number; /** still pending: its end may move */ extendable: boolean }

export type TriggerAction =
  | { kind: 'none' }
  | { kind: 'extend'; endMs: number }
  | { kind: 'create'; startMs: number; endMs: number };

/** The moment an object event is about: first sighting for `new`, latest for update/end. */
export function triggerTime(e: ObjectEvent): number {
  return e.kind === 'new' ? e.firstSeenMs : e.lastSeenMs;
}

/**
 * What one detection does to the camera's current automatic clip. `new` may open a clip;
 * `update` and `end` only keep an open one going (an object that stays in view extends it).
 */
export function mergeTrigger(open: OpenWindow | null, e: ObjectEvent, cfg: ClipsConfig): TriggerAction {
  if (!cfg.on.includes(e.label)) return { kind: 'none' };
  const t = triggerTime(e);
  const wantStart = t - cfg.pre_s * 1000;
  const wantEnd = t + cfg.post_s * 1000;
  const maxMs = cfg.max_s * 1000;
  // An object still in view (update/end) belongs with the clip its first sighting was near.
  const near = open !== null && e.firstSeenMs - cfg.pre_s * 1000 <= open.endMs + cfg.merge_gap_s * 1000;
  if (open && near) {
    if (wantEnd <= open.endMs) return { kind: 'none' };
    if (open.extendable && open.startMs + maxMs >= open.endMs) {
      const capped = Math.min(wantEnd, open.startMs + maxMs);
      if (capped > open.endMs) return { kind: 'extend', endMs: capped };
    }
    // Built already or at max_s: the rest goes into a new clip that starts where this one ends.
    return { kind: 'create', startMs: open.endMs, endMs: Math.min(wantEnd, open.endMs + maxMs) };
  }
  if (e.kind !== 'new') return { kind: 'none' };
  // Never overlap the previous clip: its footage is already in it.
  const startMs = open ? Math.max(wantStart, open.endMs) : wantStart;
  return { kind: 'create', startMs, endMs: Math.min(wantEnd, startMs + maxMs) };
}
