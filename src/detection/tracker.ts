// Object tracker: turns per-frame detections (after NMS) into object lifecycles — one 'new' when
// an object has been seen steadily, rate-limited 'update's when it changes materially, and one
// 'end' when it has been gone long enough. Pure logic with an injected clock (every call takes
// nowMs), so tests drive it with fake time and the daemon can run it off frame timestamps.

import { iou } from './nms';
import type { Box } from './types';

// Re-exported so callers of the tracker need one import; FrameDetection is narrower than
// types.ts Detection (zones already evaluated, classId not needed), so a Detection with zones fits.
export type { Box };

export interface FrameDetection { label: string; score: number; box: Box; zones: string[] }

export interface TrackerOptions {
  /** Consecutive matched frames before a tentative track is confirmed and reported ('new'). */
  minHits: number;
  /** A confirmed object unseen for this long ends. */
  lostAfterMs: number;
  /** Minimum IoU between a track's last box and a detection for them to match, e.g. 0.3. */
  iouMatch: number;
  /** At most one 'update' per object per this many ms, e.g. 2000. */
  updateMinIntervalMs: number;
  /** 1 - IoU(last reported box, current box) above this is a material change, e.g. 0.3. */
  boxChange: number;
  /** Best score rising by more than this since the last report is a material change, e.g. 0.05. */
  scoreChange: number;
}

export type TrackEventKind = 'new' | 'update' | 'end';

export interface TrackEvent {
  kind: TrackEventKind;
  objectId: string;
  label: string;
  /** Score, box and zones of the latest matched detection. */
  score: number;
  bestScore: number;
  box: Box;
  zones: string[];
  firstSeenMs: number;
  lastSeenMs: number;
  /** Frames in which the object was matched (misses after confirmation do not reset it). */
  hits: number;
  /** frameSeq of the frame where bestScore was reached: the caller saves that frame's snapshot. */
  bestFrameSeq: number;
}

interface Track {
  /** Assigned at confirmation, so tentative tracks that never confirm burn no ids. */
  id: string | null;
  label: string;
  score: number;
  bestScore: number;
  bestFrameSeq: number;
  box: Box;
  zones: string[];
  firstSeenMs: number;
  lastSeenMs: number;
  hits: number;
  /** What the last 'new'/'update' told the caller; material change is measured against it. */
  reportedBox: Box;
  reportedBestScore: number;
  lastReportMs: number;
}

export class ObjectTracker {
  private tracks: Track[] = [];
  private counter = 0;
  private readonly newId: () => string;

  constructor(
    private readonly camera: string,
    private readonly opts: TrackerOptions,
    newId?: () => string,
  ) {
    // Fail at construction: a bad option would otherwise show up as "nothing is ever detected".
    if (!Number.isInteger(opts.minHits) || opts.minHits < 1) throw new Error(`tracker: minHits must be an integer >= 1, got ${opts.minHits}`);
    if (!(opts.iouMatch > 0 && opts.iouMatch <= 1)) throw new Error(`tracker: iouMatch must be in (0, 1], got ${opts.iouMatch}`);
    if (!(opts.lostAfterMs > 0)) throw new Error(`tracker: lostAfterMs must be > 0, got ${opts.lostAfterMs}`);
    if (!(opts.updateMinIntervalMs >= 0)) throw new Error(`tracker: updateMinIntervalMs must be >= 0, got ${opts.updateMinIntervalMs}`);
    this.newId = newId ?? (() => `${this.camera}-${++this.counter}`);
  }

  /** One processed frame (time + its detections after NMS); returns the events this frame causes, in order: ends first, then news, then updates. */
  update(nowMs: number, frameSeq: number, detections: FrameDetection[]): TrackEvent[] {
    // Expire before matching: an object gone longer than lostAfterMs must end, and a detection in
    // the same place now is a new object rather than a resurrection of the old id.
    const ends = this.expire(nowMs);
    const news: TrackEvent[] = [];
    const updates: TrackEvent[] = [];

    const matched = new Map<Track, FrameDetection>();
    const usedDetections = new Set<number>();
    // Greedy per label, best IoU first: cheap, deterministic, and good enough for the handful of
    // objects per frame an edge camera sees (Hungarian matching would buy little here).
    const pairs: { t: number; d: number; iou: number }[] = [];
    this.tracks.forEach((track, t) => {
      detections.forEach((det, d) => {
        if (det.label !== track.label) return; // a 'person' never continues a 'car'
        const v = iou(track.box, det.box);
        if (v >= this.opts.iouMatch) pairs.push({ t, d, iou: v });
      });
    });
    // Ties break on track age then detection order, so runs are reproducible.
    pairs.sort((a, b) => b.iou - a.iou || a.t - b.t || a.d - b.d);
    for (const p of pairs) {
      const track = this.tracks[p.t];
      const det = detections[p.d];
      if (!track || !det || matched.has(track) || usedDetections.has(p.d)) continue;
      matched.set(track, det);
      usedDetections.add(p.d);
    }

    const kept: Track[] = [];
    for (const track of this.tracks) {
      const det = matched.get(track);
      if (!det) {
        // A tentative track must be seen on consecutive frames; a gap means flicker or noise, and
        // dropping it silently keeps one-frame false positives from ever reaching the caller.
        // Confirmed tracks survive misses until lostAfterMs (occlusion, a missed detection).
        if (track.id !== null) kept.push(track);
        continue;
      }
      this.apply(track, det, nowMs, frameSeq);
      kept.push(track);
      if (track.id === null) {
        if (track.hits >= this.opts.minHits) news.push(this.confirm(track, nowMs));
      } else if (this.changedMaterially(track) && nowMs - track.lastReportMs >= this.opts.updateMinIntervalMs) {
        // A change inside the rate-limit window is not lost: reported* still hold the old values,
        // so the first frame after the window still sees the difference and reports it.
        updates.push(this.report(track, 'update', nowMs));
      }
    }

    detections.forEach((det, d) => {
      if (usedDetections.has(d)) return;
      const track: Track = {
        id: null, label: det.label, score: det.score, bestScore: det.score, bestFrameSeq: frameSeq,
        box: { ...det.box }, zones: [...det.zones], firstSeenMs: nowMs, lastSeenMs: nowMs, hits: 1,
        reportedBox: { ...det.box }, reportedBestScore: det.score, lastReportMs: nowMs,
      };
      kept.push(track);
      if (track.hits >= this.opts.minHits) news.push(this.confirm(track, nowMs));
    });

    this.tracks = kept;
    return [...ends, ...news, ...updates];
  }

  /** Objects not seen for lostAfterMs end even when no frames arrive (call on a timer). */
  expire(nowMs: number): TrackEvent[] {
    const ends: TrackEvent[] = [];
    this.tracks = this.tracks.filter((track) => {
      if (nowMs - track.lastSeenMs < this.opts.lostAfterMs) return true;
      // Tentative tracks were never announced, so they vanish without an 'end'.
      if (track.id !== null) ends.push(this.event(track, 'end'));
      return false;
    });
    return ends;
  }

  /** Ends everything (camera stopping). */
  flush(_nowMs: number): TrackEvent[] {
    // lastSeenMs stays the real last sighting: the object was not seen at flush time.
    const ends = this.tracks.filter((t) => t.id !== null).map((t) => this.event(t, 'end'));
    this.tracks = [];
    return ends;
  }

  /** Frames some live track (tentative or confirmed) holds as its best: the caller keeps those for snapshots. */
  bestFrameSeqs(): Set<number> {
    return new Set(this.tracks.map((t) => t.bestFrameSeq));
  }

  /** Confirmed objects currently tracked (reported 'new', no 'end' yet); tentative ones are not counted. */
  active(): number {
    return this.tracks.filter((t) => t.id !== null).length;
  }

  private apply(track: Track, det: FrameDetection, nowMs: number, frameSeq: number): void {
    // Copies: the caller may reuse its detection objects for the next frame.
    track.box = { ...det.box };
    track.score = det.score;
    track.zones = [...det.zones];
    track.lastSeenMs = nowMs;
    track.hits += 1;
    // Strictly greater: on a tie the earlier frame keeps the snapshot, so it is not rewritten.
    if (det.score > track.bestScore) {
      track.bestScore = det.score;
      track.bestFrameSeq = frameSeq;
    }
  }

  private changedMaterially(track: Track): boolean {
    return 1 - iou(track.reportedBox, track.box) > this.opts.boxChange
      || track.bestScore - track.reportedBestScore > this.opts.scoreChange;
  }

  private confirm(track: Track, nowMs: number): TrackEvent {
    track.id = this.newId();
    return this.report(track, 'new', nowMs);
  }

  private report(track: Track, kind: 'new' | 'update', nowMs: number): TrackEvent {
    track.reportedBox = track.box;
    track.reportedBestScore = track.bestScore;
    track.lastReportMs = nowMs;
    return this.event(track, kind);
  }

  private event(track: Track, kind: TrackEventKind): TrackEvent {
    return {
      kind, objectId: track.id ?? '', label: track.label, score: track.score, bestScore: track.bestScore,
      // Copies, so a caller mutating an event cannot corrupt the tracker's state.
      box: { ...track.box }, zones: [...track.zones],
      firstSeenMs: track.firstSeenMs, lastSeenMs: track.lastSeenMs, hits: track.hits, bestFrameSeq: track.bestFrameSeq,
    };
  }
}
