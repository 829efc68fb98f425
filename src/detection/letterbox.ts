// Mapping between the model input (S×S, letterboxed by GStreamer) and the camera frame.
//
// The pipeline scales the W×H frame with `videoscale add-borders=true` into S×S caps with square
// pixels. GStreamer (gst/videoscale/gstvideoscale.c, set_info; the same code is in
// videoconvertscale) computes the borders with integer maths:
//   to_h = gst_util_uint64_scale_int(S, H, W)          // rounds DOWN: floor(S*H/W)
//   if to_h <= S: borders_h = S - to_h, else to_w = floor(S*W/H), borders_w = S - to_w
// and draws the picture at DEST_X = borders_w / 2, DEST_Y = borders_h / 2 (C integer division,
// i.e. floor), with DEST_WIDTH = S - borders_w and DEST_HEIGHT = S - borders_h. So the content
// is floor()-sized, and when the border is odd the extra pixel goes to the right/bottom border.
// letterboxFor reproduces exactly that, so the mapping is exact rather than within a pixel.
//
// Mapping uses the content size per axis (contentW/W and contentH/H) rather than one `scale`,
// because after flooring the two axes can differ by a fraction of a pixel; that is what the
// converter actually rendered. `scale` is kept as the nominal min(S/W, S/H) for callers.
import type { Box } from './types';

export interface Letterbox {
  /** Nominal scale factor frame → input: min(S/W, S/H). */
  scale: number;
  /** Left border in input pixels (the content starts here). */
  padX: number;
  /** Top border in input pixels. */
  padY: number;
  /** Model input side S. */
  input: number;
  frameW: number;
  frameH: number;
  /** Width of the scaled picture inside the input, in input pixels. */
  contentW: number;
  /** Height of the scaled picture inside the input, in input pixels. */
  contentH: number;
}

function positiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`letterbox: ${name} must be a positive integer, got ${v}`);
}

export function letterboxFor(frameW: number, frameH: number, input: number): Letterbox {
  positiveInt('frame width', frameW);
  positiveInt('frame height', frameH);
  positiveInt('input size', input);
  let contentW = input;
  let contentH = input;
  // Math.floor of a float quotient equals GStreamer's integer floor here: a non-integer quotient
  // is at least 1/frameW away from an integer, far more than the float rounding error.
  const toH = Math.floor((input * frameH) / frameW);
  if (toH <= input) contentH = toH;
  else contentW = Math.floor((input * frameW) / frameH);
  return {
    scale: Math.min(input / frameW, input / frameH),
    padX: Math.floor((input - contentW) / 2),
    padY: Math.floor((input - contentH) / 2),
    input,
    frameW,
    frameH,
    contentW,
    contentH,
  };
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * Box in input pixels (as the model outputs it) → normalised frame box, clamped to [0,1]:
 * parts of a box that reach into the borders are outside the camera frame.
 */
export function toFrame(lb: Letterbox, x1: number, y1: number, x2: number, y2: number): Box {
  return {
    x1: clamp01((x1 - lb.padX) / lb.contentW),
    y1: clamp01((y1 - lb.padY) / lb.contentH),
    x2: clamp01((x2 - lb.padX) / lb.contentW),
    y2: clamp01((y2 - lb.padY) / lb.contentH),
  };
}

/** Inverse of toFrame (without clamping): normalised frame box → input pixels, e.g. for overlays. */
export function toInput(lb: Letterbox, box: Box): [number, number, number, number] {
  return [
    box.x1 * lb.contentW + lb.padX,
    box.y1 * lb.contentH + lb.padY,
    box.x2 * lb.contentW + lb.padX,
    box.y2 * lb.contentH + lb.padY,
  ];
}
