// Reads the YAML config, migrates old versions and validates it strictly. Any problem becomes
// a ConfigError whose lines name the field, the value found and what is allowed.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { CONFIG_VERSION, configSchema, type Config } from './schema';

export class ConfigError extends Error {
  constructor(readonly source: string, readonly lines: string[]) {
    super(`invalid config ${source}:\n  ${lines.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Migrations from version N to N+1, applied in order before validation. Empty while at v1. */
const MIGRATIONS: Record<number, (raw: Record<string, unknown>) => Record<string, unknown>> = {};

export function migrate(raw: Record<string, unknown>): Record<string, unknown> {
  let doc = raw;
  let v = typeof doc.version === 'number' ? doc.version : CONFIG_VERSION;
  while (v < CONFIG_VERSION) {
    const step = MIGRATIONS[v];
    if (!step) break;
    doc = { ...step(doc), version: v + 1 };
    v++;
  }
  return doc;
}

function formatPath(p: readonly PropertyKey[]): string {
  let out = '';
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out || '(root)';
}

function valueAt(raw: unknown, p: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const k of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined) return 'missing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${formatPath([...issue.path, k])}: unknown key (value ${show(valueAt(raw, [...issue.path, k]))})`);
  }
  if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
    return [`${formatPath(issue.path)}: ${show(valueAt(raw, issue.path))} is not allowed; expected one of ${issue.options.join(', ')}`];
  }
  return [`${formatPath(issue.path)}: ${show(valueAt(raw, issue.path))} is not allowed; ${issue.message}`];
}

/** Validates an already-parsed document; returns the config or the list of problems. */
export function validateConfig(raw: unknown): { ok: true; config: Config } | { ok: false; lines: string[] } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, lines: ['(root): the config must be a YAML mapping'] };
  }
  const migrated = migrate(raw as Record<string, unknown>);
  const res = configSchema.safeParse(migrated);
  if (res.success) return { ok: true, config: res.data };
  return { ok: false, lines: res.error.issues.flatMap((i) => describeIssue(i, migrated)) };
}

/** Parses YAML text; syntax errors are reported with line and column. */
export function parseConfigText(text: string, source: string): Config {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(source, doc.errors.map((e) => `YAML ${e.message.split('\n')[0]}`));
  }
  const res = validateConfig(doc.toJS());
  if (!res.ok) throw new ConfigError(source, res.lines);
  return res.config;
}

/** Loads the file and resolves data_dir relative to the config file's folder. */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  const config = parseConfigText(text, file);
  config.data_dir = path.resolve(path.dirname(path.resolve(file)), config.data_dir);
  return config;
}
