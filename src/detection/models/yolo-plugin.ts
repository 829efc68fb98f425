// The `yolo` model kind: Ultralytics [1, 4+nc, N] (v8 / v11) and YOLOv5 [1, N, 5+nc] outputs,
// decoded by models/yolo.ts. Input: RGB scaled to 0..1, CHW, no mean/std.
import { checkImageInput, fixed, shapeText, type ModelIO, type ModelPlugin, type ModelSettings, type OutputTensor } from './plugin';
import { decodeYolo, detectLayout } from './yolo';

const UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

export const yoloPlugin: ModelPlugin = {
  kind: 'yolo',
  check(io: ModelIO, s: ModelSettings): void {
    checkImageInput(io, s);
    if (io.outputs.length < 1) throw new Error('detection.model.path: the model has no outputs');
    const out = io.outputs[0]?.shape ?? [];
    // Only a fully fixed shape can be checked before a run; dynamic ones are checked at warm-up.
    if (out.length === 3 && out.every(fixed)) checkLabels(out as number[], s);
  },
  preprocess(rgb: Uint8Array, size: number, out: Float32Array): void {
    const plane = size * size;
    // A lookup table instead of a division per value: this loop runs 3·S² times per frame.
    for (let i = 0, p = 0; i < plane; i++, p += 3) {
      out[i] = UNIT[rgb[p] as number] as number;
      out[plane + i] = UNIT[rgb[p + 1] as number] as number;
      out[2 * plane + i] = UNIT[rgb[p + 2] as number] as number;
    }
  },
  decode(outputs: ReadonlyMap<string, OutputTensor>, s: ModelSettings) {
    const first = outputs.values().next().value as OutputTensor | undefined;
    if (!first) throw new Error('model produced no output');
    checkLabels(first.dims, s);
    return decodeYolo(first.data, first.dims, {
      scoreThreshold: s.scoreThreshold, nmsIou: s.nmsIou, minArea: s.minArea, labels: s.labels, letterbox: s.letterbox,
      ...(s.classes ? { classes: s.classes } : {}),
    });
  },
};

function checkLabels(dims: readonly number[], s: ModelSettings): void {
  try {
    detectLayout(dims, s.labels.length);
  } catch {
    const [, d1, d2] = dims;
    const hint = dims.length === 3 && d1 !== undefined && d2 !== undefined ? ` (it fits ${d1 - 4} labels in Ultralytics layout or ${d2 - 5} in YOLOv5 layout)` : '';
    throw new Error(`detection.model.labels: ${s.labels.length} labels given but the model output is ${shapeText(dims)}${hint}`);
  }
}
