// ConfigStore: the merge rules of config.set, editing the operator's YAML without losing its
// comments, and a file that stays byte for byte the same when a change is refused.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { ConfigChangeError, ConfigStore, deepMerge, syncDocument } from '../../src/config/store';
import { tmpDir } from '../helpers/daemon';

const OPERATOR_FILE = `# vigil config for the loading dock
device:
  id: dock-7 # enrolled id, do not edit
data_dir: ./data

cameras:
  # the door camera
  - name: door
    source: { kind: test, pattern: smpte } # flow style stays flow style
    recording:
      segment_seconds: 10 # ten seconds is what the insurer asked for
  - name: yard
    source: { kind: test }
    recording: { segment_seconds: "8" } # quoted by hand

# keep ten percent free
retention:
  min_free_percent: 10
  min_free_bytes: 2GB
`;

function refusal(fn: () => unknown): ConfigChangeError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigChangeError, `expected ConfigChangeError, got ${String(err)}`);
    return err;
  }
  assert.fail('change was accepted');
}

test('deepMerge: objects merge, arrays and scalars replace, null deletes, base untouched', () => {
  const base = { a: { b: 1, c: [1, 2], d: { e: 'x' } }, f: 'keep', g: 3 };
  const snapshot = structuredClone(base);
  const out = deepMerge(base, { a: { b: 2, c: [9], d: null }, g: null, h: { i: null, j: 1 }, f: { now: 'object' } });
  assert.deepEqual(out, { a: { b: 2, c: [9] }, f: { now: 'object' }, h: { j: 1 } });
  assert.deepEqual(base, snapshot);
  assert.deepEqual(deepMerge(base, { missing: null }), base, 'deleting an absent key is a no-op');
  assert.deepEqual(deepMerge(base, {}), base);
});

test('deepMerge: cameras addressed by name merge into that camera; null removes it; the array form replaces the list', () => {
  const base = { cameras: [{ name: 'door', video: { fps: 30, width: 640 } }, { name: 'yard', enabled: true }] };
  assert.deepEqual(deepMerge(base, { cameras: { yard: { enabled: false }, door: { video: { fps: 15 } } } }), {
    cameras: [{ name: 'door', video: { fps: 15, width: 640 } }, { name: 'yard', enabled: false }],
  });
  assert.deepEqual(deepMerge(base, { cameras: { door: null } }), { cameras: [{ name: 'yard', enabled: true }] });
  assert.deepEqual(deepMerge(base, { cameras: [{ name: 'gate' }] }), { cameras: [{ name: 'gate' }] });

  const unknown = refusal(() => deepMerge(base, { cameras: { gate: { enabled: false } } }));
  assert.equal(unknown.code, 'unknown_camera');
  assert.equal(unknown.message, 'unknown camera "gate" in changes.cameras; known: door, yard');
  const notObject = refusal(() => deepMerge(base, { cameras: { door: 5 } }));
  assert.equal(notObject.code, 'invalid_config');
  assert.equal(notObject.message, 'cameras.door: must be an object of changes or null, got 5');
  // Only the top-level list is addressed by name; elsewhere an object simply replaces an array.
  assert.deepEqual(deepMerge({ x: { cameras: [1] } }, { x: { cameras: { a: 1 } } }), { x: { cameras: { a: 1 } } });
});

test('syncDocument: the edited file keeps every comment, blank line and flow style it did not need to change', () => {
  const doc = YAML.parseDocument(OPERATOR_FILE);
  const merged = deepMerge(doc.toJS(), {
    cameras: { door: { recording: { segment_seconds: 6 } }, yard: { recording: { segment_seconds: 12 } } },
    retention: { min_free_bytes: null, interval_s: 5 },
    log: { level: 'debug' },
  });
  syncDocument(doc, merged);
  const text = doc.toString();
  assert.deepEqual(YAML.parse(text), merged);
  const expected = OPERATOR_FILE
    .replace('segment_seconds: 10 #', 'segment_seconds: 6 #')
    // A quoted "8" replaced by a number must lose its quotes (else it stays a string) but keep its comment.
    .replace('recording: { segment_seconds: "8" } # quoted by hand', 'recording: { segment_seconds: 12 } # quoted by hand')
    .replace('  min_free_bytes: 2GB\n', '  interval_s: 5\nlog:\n  level: debug\n');
  assert.equal(text, expected);
});

test('syncDocument: replacing the camera list keeps the comments of cameras that stay', () => {
  const doc = YAML.parseDocument(OPERATOR_FILE);
  const js = doc.toJS() as { cameras: Array<Record<string, unknown>> };
  const merged = deepMerge(js, { cameras: [{ ...js.cameras[0], enabled: false }, { name: 'gate', source: { kind: 'test' } }] });
  syncDocument(doc, merged);
  const text = doc.toString();
  assert.deepEqual(YAML.parse(text), merged);
  assert.match(text, /segment_seconds: 10 # ten seconds is what the insurer asked for/);
  assert.match(text, /source: \{ kind: test, pattern: smpte \} # flow style stays flow style/);
  assert.doesNotMatch(text, /yard|quoted by hand/);
  assert.match(text, /- name: gate\n/);
});

test('syncDocument: an unchanged alias stays an alias; a no-op change leaves the text identical', () => {
  const src = 'base: &b { fps: 10 }\nother: *b # shared\nn: 1\n';
  const doc = YAML.parseDocument(src);
  syncDocument(doc, deepMerge(doc.toJS(), { n: 2 }));
  assert.equal(doc.toString(), 'base: &b { fps: 10 }\nother: *b # shared\nn: 2\n');
  const same = YAML.parseDocument(OPERATOR_FILE);
  syncDocument(same, deepMerge(same.toJS(), { cameras: { door: { recording: { segment_seconds: 10 } } } }));
  assert.equal(same.toString(), OPERATOR_FILE);
});

/** The operator file without the hand-quoted number, which the schema (rightly) refuses. */
const VALID_FILE = OPERATOR_FILE.replace('"8"', '8');

function operatorFile(mode = 0o640): { dir: string; file: string } {
  const dir = tmpDir('vigil-store-');
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, VALID_FILE);
  fs.chmodSync(file, mode);
  return { dir, file };
}

test('ConfigStore: a valid change is validated, written atomically with the same mode, and read back', async () => {
  const { dir, file } = operatorFile(0o640);
  const store = new ConfigStore(file);
  const p = await store.prepare({ cameras: { yard: { recording: { segment_seconds: 20 } } } });
  assert.equal(p.changed, true);
  assert.equal(p.config.cameras[1]?.recording.segment_seconds, 20);
  assert.equal(p.config.data_dir, path.join(dir, 'data'), 'data_dir resolved against the file, as at boot');
  assert.equal(fs.readFileSync(file, 'utf8'), VALID_FILE, 'prepare writes nothing');
  await store.commit(p);
  assert.equal(fs.readFileSync(file, 'utf8'), p.text);
  assert.equal(fs.statSync(file).mode & 0o777, 0o640);
  assert.deepEqual(fs.readdirSync(dir), ['config.yaml'], 'no temp file left behind');
  assert.equal(p.text, VALID_FILE.replace('segment_seconds: 8 }', 'segment_seconds: 20 }'));

  const noop = await store.prepare({ cameras: { yard: { recording: { segment_seconds: 20 } } } });
  assert.equal(noop.changed, false);
});

test('ConfigStore: refused changes name the field and leave the file byte for byte as it was', async () => {
  const { file } = operatorFile();
  const before = fs.readFileSync(file);
  const store = new ConfigStore(file);
  const cases: Array<[Record<string, unknown>, string, string]> = [
    [{ cameras: { door: { recording: { segment_seconds: -1 } } } }, 'invalid_config', 'cameras[0].recording.segment_seconds: -1 is not allowed; Too small: expected number to be >=2'],
    [{ retention: { min_free_gigs: 3 } }, 'invalid_config', 'retention.min_free_gigs: unknown key (value 3)'],
    [{ cameras: { gate: { enabled: true } } }, 'unknown_camera', 'unknown camera "gate" in changes.cameras; known: door, yard'],
    [{ cameras: { yard: { name: 'door' } } }, 'invalid_config', 'cameras[1].name: "door" is not allowed; duplicate camera name (also cameras[0])'],
    [{ cameras: [{ name: '../etc', source: { kind: 'test' } }] }, 'invalid_config', 'cameras[0].name: "../etc" is not allowed; must match [a-z0-9][a-z0-9_-]{0,31}'],
    [{ cameras: null }, 'invalid_config', 'cameras: missing is not allowed; Invalid input: expected array, received undefined'],
  ];
  for (const [changes, code, message] of cases) {
    const err = await store.prepare(changes).then(() => assert.fail(`accepted ${JSON.stringify(changes)}`), (e: unknown) => e);
    assert.ok(err instanceof ConfigChangeError, String(err));
    assert.equal(err.code, code, JSON.stringify(changes));
    assert.equal(err.message, message);
    assert.ok(fs.readFileSync(file).equals(before), `file changed by ${JSON.stringify(changes)}`);
  }
});

test('ConfigStore: a file that no longer parses is reported, not overwritten', async () => {
  const { file } = operatorFile();
  fs.writeFileSync(file, 'device: { id: x\n');
  const err = await new ConfigStore(file).prepare({ log: { level: 'debug' } }).then(() => assert.fail('accepted'), (e: unknown) => e);
  assert.ok(err instanceof ConfigChangeError);
  assert.equal(err.code, 'invalid_config');
  assert.match(err.message, /does not parse: /);
  assert.equal(fs.readFileSync(file, 'utf8'), 'device: { id: x\n');
});
