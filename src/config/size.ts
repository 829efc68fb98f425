// Byte sizes in config accept plain numbers or strings like "2GB" / "500MB".
// Units are binary (1 KB = 1024 B) so they match what `df -h` shows a technician;
// the IEC spellings (KiB, MiB, ...) are accepted as synonyms.
const UNITS: Record<string, number> = {
  b: 1,
  kb: 1024, kib: 1024, k: 1024,
  mb: 1024 ** 2, mib: 1024 ** 2, m: 1024 ** 2,
  gb: 1024 ** 3, gib: 1024 ** 3, g: 1024 ** 3,
  tb: 1024 ** 4, tib: 1024 ** 4, t: 1024 ** 4,
};

const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

/** Parses "2GB", "500 MB", "1.5GiB" or a number of bytes; returns null when not a size. */
export function parseSize(input: string | number): number | null {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? Math.floor(input) : null;
  const m = SIZE_RE.exec(input);
  if (!m) return null;
  const factor = UNITS[(m[2] ?? '').toLowerCase() || 'b'];
  if (factor === undefined) return null;
  return Math.floor(Number(m[1]) * factor);
}

/** Human-readable size for logs and the CLI, e.g. 2147483648 → "2.0 GB". */
export function formatSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}
