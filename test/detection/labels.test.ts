// Label lists: built-in COCO, a text file, or an inline list.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { COCO_LABELS, resolveLabels } from '../../src/detection/labels';

test('COCO: 80 classes, person first, toothbrush last, no duplicates', () => {
  assert.equal(COCO_LABELS.length, 80);
  assert.equal(COCO_LABELS[0], 'person');
  assert.equal(COCO_LABELS[2], 'car');
  assert.equal(COCO_LABELS[16], 'dog');
  assert.equal(COCO_LABELS[79], 'toothbrush');
  assert.equal(new Set(COCO_LABELS).size, 80);
  assert.deepEqual(resolveLabels('coco'), [...COCO_LABELS]);
});

test('file form: one label per line, CRLF, blank lines and a trailing newline ignored', () => {
  const seen: string[] = [];
  const labels = resolveLabels('/models/custom.txt', (p) => {
    seen.push(p);
    return 'person\r\n  forklift \r\n\r\npallet\n';
  });
  assert.deepEqual(labels, ['person', 'forklift', 'pallet']);
  assert.deepEqual(seen, ['/models/custom.txt']);
});

test('file form with the real filesystem', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-labels-'));
  try {
    const file = path.join(dir, 'labels.txt');
    fs.writeFileSync(file, 'cat\ndog\n');
    assert.deepEqual(resolveLabels(file), ['cat', 'dog']);
    assert.throws(() => resolveLabels(path.join(dir, 'missing.txt')), /ENOENT.*missing\.txt/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an empty label file is a clear error naming the file', () => {
  assert.throws(() => resolveLabels('/models/empty.txt', () => ''), /label file \/models\/empty\.txt has no labels/);
  assert.throws(() => resolveLabels('/models/blank.txt', () => '\n  \n'), /has no labels/);
});

test('array form: used as given (trimmed); empty list or empty name rejected', () => {
  assert.deepEqual(resolveLabels(['person', ' car ']), ['person', 'car']);
  assert.throws(() => resolveLabels([]), /label list is empty/);
  assert.throws(() => resolveLabels(['a', '']), /empty label at index 1/);
});
