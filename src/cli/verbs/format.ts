// Plain-text tables and small formatters shared by the verbs: columns sized to their content,
// no colours (output is often piped or pasted into a ticket).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../verb';

export function table(headers: string[], rows: Array<Array<string | number | null>>): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

export function iso(ms: number | null | undefined): string {
  return typeof ms === 'number' ? new Date(ms).toISOString() : '-';
}

/** parseArgs with strict checking; its errors name the bad option and become exit 2. */
export function parseVerbArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, positionals = false): { values: ReturnType<typeof parseArgs<{ options: T; allowPositionals: true; strict: true }>>['values']; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: positionals || undefined, strict: true } as { args: string[]; options: T; allowPositionals: true; strict: true });
    return { values: r.values, positionals: r.positionals };
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0] ?? String(err));
  }
}

/** A positive integer option value, or a UsageError naming the option. */
export function intOption(name: string, value: string | undefined, dflt: number, max: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`--${name} must be an integer from 1 to ${max}, got "${value}"`);
  return n;
}
