// Decoding of YOLO ONNX outputs (no onnxruntime here: callers pass the output tensor's data and
// dims). Boxes come out as centre x, centre y, width, height in model-input pixels (0..S), which
// is what Ultralytics and YOLOv5 ONNX exports emit.
import { toFrame, type Letterbox } from '../letterbox';
import { area, nms } from '../nms';
import type { Detection } from '../types';

/**
 * 'ultralytics' (YOLOv8 / YOLO11): [1, 4+nc, N], rows cx, cy, w, h, then nc class scores; no
 * objectness. 'yolov5': [1, N, 5+nc], per prediction cx, cy, w, h, objectness, nc class scores.
 */
export type YoloLayout = 'ultralytics' | 'yolov5';

/**
 * Works out the layout from the output dims and the label count. If both would fit (only when
 * N happens to equal 4+nc or 5+nc, never for real input sizes) Ultralytics wins, being the
 * current export format.
 */
export function detectLayout(dims: readonly number[], numClasses: number): YoloLayout {
  const [b, d1, d2] = dims;
  if (dims.length === 3 && b === 1 && d1 !== undefined && d2 !== undefined && d1 > 0 && d2 > 0) {
    if (d1 === 4 + numClasses) return 'ultralytics';
    if (d2 === 5 + numClasses) return 'yolov5';
  }
  throw new Error(
    `model output [${dims.join(', ')}] does not fit ${numClasses} labels: ` +
      `expected [1, ${4 + numClasses}, N] or [1, N, ${5 + numClasses}]`,
  );
}

export interface DecodeOptions {
  /** Minimum confidence 0..1 (YOLOv5: objectness × class score). */
  scoreThreshold: number;
  /** IoU above which a lower-scoring box of the same class is suppressed. */
  nmsIou: number;
  /** When set, only these labels are reported. */
  classes?: ReadonlySet<string>;
  /** Minimum box area as a fraction of the frame area (0 disables). */
  minArea: number;
  labels: readonly string[];
  letterbox: Letterbox;
  maxDetections?: number;
}

/**
 * decode → score filter → class filter → map through the letterbox → min-area filter → NMS.
 * Each prediction takes its best class (argmax) first and is then dropped if that class is not
 * wanted, as Ultralytics' `classes=` does: a box that is mostly 'dog' must not be reported as
 * its runner-up 'cat' just because only cats are wanted.
 */
export function decodeYolo(data: Float32Array, dims: readonly number[], opts: DecodeOptions): Detection[] {
  const nc = opts.labels.length;
  const layout = detectLayout(dims, nc);
  const expected = dims.reduce((p, d) => p * d, 1);
  if (data.length !== expected) {
    throw new Error(`model output has ${data.length} values but dims [${dims.join(', ')}] need ${expected}`);
  }
  // Strides let one loop read both layouts: value k of prediction i is data[i*predStride + k*fieldStride].
  const n = layout === 'ultralytics' ? (dims[2] ?? 0) : (dims[1] ?? 0);
  const fields = layout === 'ultralytics' ? 4 + nc : 5 + nc;
  const predStride = layout === 'ultralytics' ? 1 : fields;
  const fieldStride = layout === 'ultralytics' ? n : 1;
  const clsOffset = layout === 'ultralytics' ? 4 : 5;
  const at = (i: number, k: number): number => data[i * predStride + k * fieldStride] ?? 0;

  const candidates: Detection[] = [];
  for (let i = 0; i < n; i++) {
    const obj = layout === 'yolov5' ? at(i, 4) : 1;
    // Class scores are <= 1, so a low objectness cannot pass: skip the class loop (most rows).
    if (obj < opts.scoreThreshold) continue;
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < nc; c++) {
      const s = at(i, clsOffset + c);
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    const score = obj * bestScore;
    if (!(score >= opts.scoreThreshold)) continue; // also rejects NaN
    const label = opts.labels[best] ?? String(best);
    if (opts.classes && !opts.classes.has(label)) continue;
    const cx = at(i, 0);
    const cy = at(i, 1);
    const hw = at(i, 2) / 2;
    const hh = at(i, 3) / 2;
    const box = toFrame(opts.letterbox, cx - hw, cy - hh, cx + hw, cy + hh);
    // Area after clamping: the part of the object inside the frame is what matters; a box lying
    // wholly in the letterbox borders clamps to zero area and is dropped even when minArea is 0.
    if (area(box) < opts.minArea || area(box) <= 0) continue;
    candidates.push({ label, classId: best, score, box });
  }
  return nms(candidates, opts.nmsIou, opts.maxDetections === undefined ? {} : { maxDetections: opts.maxDetections });
}
