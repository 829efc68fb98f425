// Class labels: index i is the name of the model's output class i.
import fs from 'node:fs';

/**
 * The 80 COCO classes in the order COCO-trained YOLO models (YOLOv5, YOLOv8, YOLO11) output
 * them, with the Ultralytics spellings ('motorcycle', 'airplane', 'couch', 'tv', ...).
 */
export const COCO_LABELS: readonly string[] = Object.freeze([
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat',
  'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog',
  'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella',
  'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite',
  'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
  'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
  'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant',
  'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone',
  'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors',
  'teddy bear', 'hair drier', 'toothbrush',
]);

export type ReadTextFile = (path: string) => string;

const readUtf8: ReadTextFile = (p) => fs.readFileSync(p, 'utf8');

/**
 * Resolves a label spec: 'coco' (built-in list), a path to a text file with one label per line
 * (surrounding whitespace trimmed, blank lines skipped so a trailing newline or CRLF endings do
 * not add bogus classes), or an explicit array. An empty result is an error: a model with no
 * labels cannot be decoded, and failing at config time beats failing on the first frame.
 * readFile is injectable for tests; it defaults to a synchronous UTF-8 read (done once at start).
 */
export function resolveLabels(spec: string | readonly string[], readFile: ReadTextFile = readUtf8): string[] {
  if (Array.isArray(spec)) {
    const labels = spec.map((s: string) => s.trim());
    if (labels.length === 0) throw new Error('label list is empty');
    const blank = labels.findIndex((s) => s === '');
    if (blank >= 0) throw new Error(`label list has an empty label at index ${blank}`);
    return labels;
  }
  if (typeof spec !== 'string') throw new Error('labels must be "coco", a file path or a list of names');
  if (spec === 'coco') return [...COCO_LABELS];
  // Read errors (missing file, permissions) propagate with their own message naming the path.
  const text = readFile(spec);
  const labels = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (labels.length === 0) throw new Error(`label file ${spec} has no labels (expected one class name per line)`);
  return labels;
}
