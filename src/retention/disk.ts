// Reads free space of the filesystem holding a path and classifies it against the
// retention thresholds. Free space is what an unprivileged writer can use (bavail).
import fs from 'node:fs/promises';
import type { RetentionConfig } from '../config/schema';
import type { DiskReading, DiskState } from '../events';

export type StatFs = (dir: string) => Promise<{ totalBytes: number; freeBytes: number }>;

export const statDisk: StatFs = async (dir) => {
  const s = await fs.statfs(dir);
  return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
};

export async function readDisk(dir: string, policy: Pick<RetentionConfig, 'min_free_bytes' | 'min_free_percent'>, statfs: StatFs = statDisk): Promise<DiskReading> {
  const { totalBytes, freeBytes } = await statfs(dir);
  const requiredBytes = Math.max(policy.min_free_bytes, Math.ceil(totalBytes * policy.min_free_percent / 100));
  const freePercent = totalBytes > 0 ? Math.round((freeBytes / totalBytes) * 1000) / 10 : 0;
  return { totalBytes, freeBytes, freePercent, requiredBytes };
}

/**
 * ok: the reserve holds. low: below the reserve, but retention still has footage it may
 * delete (it is catching up). critical: below the reserve and nothing deletable is left —
 * only the segment being written, protected footage and quarantine remain.
 */
export function classify(d: DiskReading, deletableLeft: boolean): DiskState {
  if (d.freeBytes >= d.requiredBytes) return 'ok';
  return deletableLeft ? 'low' : 'critical';
}
