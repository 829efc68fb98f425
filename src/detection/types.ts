// Shared detection types. Boxes are in normalised frame coordinates (0..1 of the camera frame's
// width and height) so that zones, events and overlays do not depend on the model input size or
// on the stream resolution.

/** Axis-aligned box, normalised 0..1 frame coordinates, x1 <= x2 and y1 <= y2. */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface Detection {
  /** Human-readable class name from the label list (e.g. 'person'). */
  label: string;
  /** Index of the class in the model's output (and in the label list). */
  classId: number;
  /** Confidence 0..1 (for YOLOv5-style models: objectness × class score). */
  score: number;
  box: Box;
  /** Names of the zones the detection is in; absent until zones are evaluated. */
  zones?: string[];
}
