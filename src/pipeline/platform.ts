// Which board vigil runs on decides which pipeline templates apply. Detection reads marker
// files under a root so tests (and an image build on another host) can point it elsewhere.
import fs from 'node:fs';
import path from 'node:path';

export type Platform = 'jetson' | 'rpi' | 'generic';

export const PLATFORMS: readonly Platform[] = ['generic', 'jetson', 'rpi'];

export function isPlatform(v: unknown): v is Platform {
  return typeof v === 'string' && (PLATFORMS as readonly string[]).includes(v);
}

/** Missing markers are the normal case on other boards; anything else (EACCES, EIO) is a real fault. */
function isAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

function readIfPresent(file: string): string | null {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch (err) {
    if (isAbsent(err)) return null;
    throw err;
  }
}

/**
 * jetson: `<root>/etc/nv_tegra_release` exists (written by every L4T release).
 * rpi: `<root>/proc/device-tree/model` mentions "Raspberry Pi" (the file ends in a NUL).
 * Anything else is generic.
 */
export function detectPlatform(root = '/'): Platform {
  if (fs.existsSync(path.join(root, 'etc', 'nv_tegra_release'))) return 'jetson';
  const model = readIfPresent(path.join(root, 'proc', 'device-tree', 'model'));
  if (model !== null && model.includes('Raspberry Pi')) return 'rpi';
  return 'generic';
}
