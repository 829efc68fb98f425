// The `text` model kind: PP-OCR text detection (DB, "differentiable binarisation"). The network
// outputs a probability map [1, 1, S, S]; text regions are the connected areas above a
// threshold. DB trains on regions shrunk inwards, so each box is grown back ("unclipped") by
// area·ratio/perimeter, as PaddleOCR's DBPostProcess does, then mapped through the letterbox.
import { toFrame } from '../letterbox';
import { area, nms } from '../nms';
import type { Detection } from '../types';
import { checkImageInput, shapeText, type ModelIO, type ModelPlugin, type ModelSettings, type OutputTensor } from './plugin';

/** PaddleOCR defaults: binarisation threshold, unclip ratio, smallest side in input pixels. */
const BIN_THRESHOLD = 0.3;
const UNCLIP_RATIO = 1.5;
const MIN_SIDE = 3;
// ImageNet mean/std in PaddleOCR's channel order (it reads images as BGR).
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const lut = (c: number): Float32Array => Float32Array.from({ length: 256 }, (_, v) => (v / 255 - (MEAN[c] as number)) / (STD[c] as number));
const LUT_B = lut(0);
const LUT_G = lut(1);
const LUT_R = lut(2);

export const textPlugin: ModelPlugin = {
  kind: 'text',
  fixedLabels: ['text'],
  check(io: ModelIO, s: ModelSettings): void {
    checkImageInput(io, s);
    if (s.inputSize % 32 !== 0) throw new Error(`detection.model.input_size: PP-OCR detection needs a multiple of 32, got ${s.inputSize}`);
    const out = io.outputs[0]?.shape ?? [];
    if (out.length !== 0 && out.length !== 4) throw new Error(`detection.model.path: expected a probability map [1, 1, S, S] output, the model declares ${shapeText(out)}`);
  },
  preprocess(rgb: Uint8Array, size: number, out: Float32Array): void {
    const plane = size * size;
    // channel 0 = B, 1 = G, 2 = R; lookup tables instead of arithmetic per value.
    for (let i = 0, p = 0; i < plane; i++, p += 3) {
      out[i] = LUT_B[rgb[p + 2] as number] as number;
      out[plane + i] = LUT_G[rgb[p + 1] as number] as number;
      out[2 * plane + i] = LUT_R[rgb[p] as number] as number;
    }
  },
  decode(outputs: ReadonlyMap<string, OutputTensor>, s: ModelSettings): Detection[] {
    const map = outputs.values().next().value as OutputTensor | undefined;
    if (!map) throw new Error('model produced no output');
    const h = map.dims[2] ?? 0;
    const w = map.dims[3] ?? 0;
    if (map.dims.length !== 4 || h * w !== map.data.length) throw new Error(`text model output ${shapeText(map.dims)} is not a [1, 1, H, W] probability map`);
    const dets: Detection[] = [];
    for (const r of regions(map.data, w, h, BIN_THRESHOLD)) {
      if (r.meanProb < s.scoreThreshold) continue;
      const bw = r.x2 - r.x1 + 1;
      const bh = r.y2 - r.y1 + 1;
      if (Math.min(bw, bh) < MIN_SIDE) continue;
      const grow = (bw * bh * UNCLIP_RATIO) / (2 * (bw + bh));
      // Output pixels → input pixels (the map may be smaller than the input).
      const sx = s.inputSize / w;
      const sy = s.inputSize / h;
      const box = toFrame(s.letterbox, (r.x1 - grow) * sx, (r.y1 - grow) * sy, (r.x2 + 1 + grow) * sx, (r.y2 + 1 + grow) * sy);
      if (area(box) < s.minArea || area(box) <= 0) continue;
      dets.push({ label: 'text', classId: 0, score: r.meanProb, box });
    }
    return nms(dets, s.nmsIou);
  },
};

interface Region { x1: number; y1: number; x2: number; y2: number; meanProb: number }

/** 4-connected components above `threshold`, each with its bounding box and mean probability. */
export function regions(prob: Float32Array, w: number, h: number, threshold: number): Region[] {
  const seen = new Uint8Array(w * h);
  const stack = new Int32Array(w * h);
  const out: Region[] = [];
  for (let start = 0; start < w * h; start++) {
    if (seen[start] || (prob[start] as number) <= threshold) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let x1 = w, y1 = h, x2 = -1, y2 = -1, sum = 0, n = 0;
    while (top > 0) {
      const i = stack[--top] as number;
      const x = i % w;
      const y = (i - x) / w;
      if (x < x1) x1 = x;
      if (x > x2) x2 = x;
      if (y < y1) y1 = y;
      if (y > y2) y2 = y;
      sum += prob[i] as number;
      n++;
      const push = (j: number): void => {
        if (!seen[j] && (prob[j] as number) > threshold) {
          seen[j] = 1;
          stack[top++] = j;
        }
      };
      if (x > 0) push(i - 1);
      if (x < w - 1) push(i + 1);
      if (y > 0) push(i - w);
      if (y < h - 1) push(i + w);
    }
    out.push({ x1, y1, x2, y2, meanProb: sum / n });
  }
  return out;
}
