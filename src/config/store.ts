// ConfigStore: applies remote changes (config.set) to the operator's config file. A change is
// merged into what the file says, validated against the full schema and only then written,
// atomically. The file is edited through the YAML Document API, node by node, so comments and
// layout of everything the change did not touch survive.
//
// Merge rules (deepMerge):
//   - plain objects merge recursively;
//   - arrays and scalars replace the old value wholesale;
//   - `null` deletes the key (so its default applies again);
//   - `cameras` may also be given as an object keyed by camera name: each entry merges into
//     that camera (which must exist), `null` removes it. The array form replaces the list.
import fs from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import YAML, { isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import { writeFileAtomic } from '../fsutil';
import { validateConfig } from './load';
import type { Config } from './schema';

export type ConfigChanges = Record<string, unknown>;

/** Top-level lists whose items can be addressed by their `name`, with what an item is called. */
const NAMED_LISTS: Readonly<Record<string, string>> = { cameras: 'camera' };

/** Why a change was refused; `code` travels to the remote caller unchanged. */
export class ConfigChangeError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ConfigChangeError';
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nameOf(v: unknown): string | undefined {
  return isPlainObject(v) && typeof v.name === 'string' ? v.name : undefined;
}

/** Merges a named list given as `{name: change}` into the array `base`. */
function mergeNamed(base: unknown[], changes: Record<string, unknown>, key: string, item: string): unknown[] {
  const out = [...base];
  for (const [name, change] of Object.entries(changes)) {
    const at = out.findIndex((v) => nameOf(v) === name);
    if (at < 0) {
      const known = out.map(nameOf).filter((n) => n !== undefined).join(', ');
      throw new ConfigChangeError(`unknown_${item}`, `unknown ${item} "${name}" in changes.${key}; known: ${known}`);
    }
    if (change === null) out.splice(at, 1);
    else if (isPlainObject(change)) out[at] = deepMerge(out[at], change);
    else throw new ConfigChangeError('invalid_config', `${key}.${name}: must be an object of changes or null, got ${JSON.stringify(change)}`);
  }
  return out;
}

/** The merge rules above, on plain values; `base` is not modified. */
export function deepMerge(base: unknown, changes: Record<string, unknown>, atTop = true): Record<string, unknown> {
  const out: Record<string, unknown> = isPlainObject(base) ? { ...base } : {};
  for (const [key, change] of Object.entries(changes)) {
    const old = out[key];
    const item = atTop ? NAMED_LISTS[key] : undefined;
    if (change === null) delete out[key];
    else if (isPlainObject(change) && item !== undefined && Array.isArray(old)) out[key] = mergeNamed(old, change, key, item);
    else if (isPlainObject(change)) out[key] = deepMerge(old, change, false);
    else out[key] = structuredClone(change);
  }
  return out;
}

/** Keeps comments and blank lines of a node that has to be replaced by a new one. */
function carryDecorations(from: Node, to: Node): Node {
  to.commentBefore = from.commentBefore;
  to.comment = from.comment;
  to.spaceBefore = from.spaceBefore;
  return to;
}

/**
 * Returns a node representing `value`, reusing `node` (and so its comments) wherever it already
 * matches: maps are edited key by key, list items are matched by `name` (else by position),
 * scalars of the same type only get a new value.
 */
function syncNode(doc: Document, node: unknown, value: unknown): Node {
  if (YAML.isNode(node) && isDeepStrictEqual(node.toJS(doc), value)) return node;
  const fresh = (): Node => {
    const n = doc.createNode(value) as Node;
    return YAML.isNode(node) ? carryDecorations(node, n) : n;
  };
  if (isPlainObject(value)) {
    if (!isMap(node)) return fresh();
    node.items = node.items.filter((pair) => Object.hasOwn(value, String(isScalar(pair.key) ? pair.key.value : pair.key)));
    for (const [k, v] of Object.entries(value)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === k);
      if (pair) pair.value = syncNode(doc, pair.value, v);
      else node.add(doc.createPair(k, v));
    }
    return node;
  }
  if (Array.isArray(value)) {
    if (!isSeq(node)) return fresh();
    const old = node.items;
    const named = value.every((v) => nameOf(v) !== undefined);
    node.items = value.map((v, i) => {
      const match = named ? old.find((n) => isMap(n) && n.get('name') === nameOf(v)) : old[i];
      return syncNode(doc, match, v);
    });
    return node;
  }
  // Same type: keep the node (comments, quoting). Another type: a quoted "6" must not stay a string.
  if (isScalar(node) && typeof node.value === typeof value) {
    node.value = value;
    return node;
  }
  return fresh();
}

/** Edits `doc` in place so it represents `value`, touching only what differs. */
export function syncDocument(doc: Document, value: Record<string, unknown>): void {
  doc.contents = syncNode(doc, doc.contents, value);
}

export interface PreparedChange {
  /** The new file text; equal to the old one when the change changes nothing. */
  text: string;
  changed: boolean;
  /** The validated config the file will hold, data_dir resolved as loadConfig does. */
  config: Config;
}

export class ConfigStore {
  constructor(readonly file: string) {}

  /** Reads the file, merges and validates; writes nothing. Throws ConfigChangeError. */
  async prepare(changes: ConfigChanges): Promise<PreparedChange> {
    const before = await fs.readFile(this.file, 'utf8');
    const doc = YAML.parseDocument(before, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      throw new ConfigChangeError('invalid_config', `the config file ${this.file} does not parse: ${doc.errors.map((e) => e.message.split('\n')[0]).join('; ')}`);
    }
    const merged = deepMerge(doc.toJS(), changes);
    const res = validateConfig(merged);
    if (!res.ok) throw new ConfigChangeError('invalid_config', res.lines.join('; '));
    syncDocument(doc, merged);
    const text = doc.toString();
    const config = res.config;
    config.data_dir = path.resolve(path.dirname(path.resolve(this.file)), config.data_dir);
    return { text, changed: text !== before, config };
  }

  /** Writes the prepared text atomically with the file's current mode. */
  async commit(p: PreparedChange): Promise<void> {
    if (!p.changed) return;
    const mode = (await fs.stat(this.file)).mode & 0o7777;
    await writeFileAtomic(this.file, p.text, mode);
    // The temp file was created through the umask, which may have dropped bits the operator set.
    if (((await fs.stat(this.file)).mode & 0o7777) !== mode) await fs.chmod(this.file, mode);
  }
}
