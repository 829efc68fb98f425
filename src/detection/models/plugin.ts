// The model plugin boundary: everything that differs between model kinds (input normalisation,
// what the output tensors mean, what they must look like) lives behind this interface, one
// file per kind under models/. The detector process and the inference worker know nothing else
// about a model, so adding a kind is one file plus one line in models/index.ts.
import type { Letterbox } from '../letterbox';
import type { Detection } from '../types';

export interface TensorInfo {
  name: string;
  /** Numbers for fixed dimensions, strings or -1 for dynamic ones; empty when unknown. */
  shape: ReadonlyArray<number | string>;
}

export interface ModelIO {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export interface OutputTensor {
  data: Float32Array;
  dims: readonly number[];
}

export interface ModelSettings {
  inputSize: number;
  labels: readonly string[];
  scoreThreshold: number;
  nmsIou: number;
  classes?: ReadonlySet<string>;
  minArea: number;
  letterbox: Letterbox;
}

export interface ModelPlugin {
  readonly kind: string;
  /** Labels this kind always reports (e.g. text: ['text']); absent: the configured labels. */
  readonly fixedLabels?: readonly string[];
  /**
   * Checks the model's declared inputs and outputs against the settings before any frame is
   * run; throws an Error whose message names the config field at fault.
   */
  check(io: ModelIO, s: ModelSettings): void;
  /** HWC RGB bytes (S×S×3) → CHW float32 in `out` (length 3·S·S), normalised as the model wants. */
  preprocess(rgb: Uint8Array, size: number, out: Float32Array): void;
  /** Output tensors by name → detections in normalised frame coordinates. */
  decode(outputs: ReadonlyMap<string, OutputTensor>, s: ModelSettings): Detection[];
}

/** A dimension that is a fixed number (not symbolic, not -1). */
export function fixed(d: number | string | undefined): d is number {
  return typeof d === 'number' && d > 0;
}

export function shapeText(shape: ReadonlyArray<number | string>): string {
  return `[${shape.join(', ')}]`;
}

/** Inputs must be one [1, 3, S, S] float tensor (dynamic dimensions accepted). */
export function checkImageInput(io: ModelIO, s: ModelSettings): void {
  if (io.inputs.length !== 1) {
    throw new Error(`detection.model.path: the model has ${io.inputs.length} inputs (${io.inputs.map((i) => i.name).join(', ')}); one image input [1, 3, S, S] is expected`);
  }
  const input = io.inputs[0] as TensorInfo;
  const sh = input.shape;
  if (sh.length === 0) return; // unknown: the warm-up run will tell
  const [b, c, h, w] = sh;
  const bad =
    sh.length !== 4 || (fixed(b) && b !== 1) || (fixed(c) && c !== 3) ||
    (fixed(h) && h !== s.inputSize) || (fixed(w) && w !== s.inputSize);
  if (bad) {
    throw new Error(`detection.model.input_size: the model input "${input.name}" is ${shapeText(sh)} but the config gives input_size ${s.inputSize}, i.e. [1, 3, ${s.inputSize}, ${s.inputSize}]`);
  }
}
