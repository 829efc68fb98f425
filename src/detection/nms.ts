// Greedy non-maximum suppression. Boxes are normalised frame boxes; IoU is unchanged by scaling
// each axis, so NMS in normalised coordinates gives the same result as in pixels.
import type { Box, Detection } from './types';

/** Area of a box; a degenerate (inverted or zero-size) box has area 0, never negative. */
export function area(b: Box): number {
  return Math.max(0, b.x2 - b.x1) * Math.max(0, b.y2 - b.y1);
}

/** Intersection over union; 0 when the union is empty (two zero-area boxes) instead of NaN. */
export function iou(a: Box, b: Box): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

export interface NmsOptions {
  /** Suppress across classes too (a 'car' can suppress a 'truck' on the same object). */
  classAgnostic?: boolean;
  /** Keep at most this many detections (the highest scoring). */
  maxDetections?: number;
}

/**
 * Keeps the highest-scoring box and drops every lower-scoring box of the same class (any class
 * when classAgnostic) whose IoU with a kept box is strictly above iouThreshold, so a threshold
 * of 1.0 keeps everything. Output is sorted by score, descending; ties keep input order.
 */
export function nms(dets: Detection[], iouThreshold: number, opts: NmsOptions = {}): Detection[] {
  const max = opts.maxDetections ?? Infinity;
  if (max <= 0) return [];
  // Array.prototype.sort is stable, so equal scores keep their input order.
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of sorted) {
    let suppressed = false;
    for (const k of kept) {
      if (!opts.classAgnostic && k.classId !== d.classId) continue;
      if (iou(k.box, d.box) > iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (suppressed) continue;
    kept.push(d);
    if (kept.length >= max) break;
  }
  return kept;
}
