// Data dir writable, free space against the retention thresholds, and a filesystem that
// keeps footage across power cuts and reboots.
import fs from 'node:fs';
import path from 'node:path';
import { formatSize } from '../../config/size';
import { fail, pass, warn, type CheckResult, type DoctorContext } from '../check';

/** statfs f_type magic numbers (linux/magic.h) for the filesystems worth naming. */
const FS_TYPES: Record<number, string> = {
  0xef53: 'ext4', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0xf2f52010: 'f2fs', 0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs', 0x4d44: 'vfat', 0x2011bab0: 'exfat', 0x5346544e: 'ntfs', 0x65735546: 'fuse', 0x6969: 'nfs', 0x858458f6: 'ramfs',
};
/** Gone after a reboot: the loop recording would restart empty every boot. */
const VOLATILE = new Set(['tmpfs', 'ramfs', 'overlayfs']);
/** No journaling: a power cut can corrupt the whole filesystem, not just the open segment. */
const FRAGILE = new Set(['vfat', 'exfat', 'ntfs', 'fuse', 'nfs']);

/** The deepest existing ancestor: a data dir not created yet is judged by where it will live. */
function existingAncestor(dir: string): string {
  let cur = path.resolve(dir);
  while (!fs.existsSync(cur) && path.dirname(cur) !== cur) cur = path.dirname(cur);
  return cur;
}

export async function checkStorage(ctx: DoctorContext): Promise<CheckResult[]> {
  const config = ctx.config;
  if (!config) return [fail('data dir', 'skipped: no valid config', 'fix the config first')];
  const dir = config.data_dir;
  const out: CheckResult[] = [];
  if (!fs.existsSync(dir)) {
    out.push(fail('data dir', `${dir} does not exist`, `sudo install -d -o vigil -g vigil -m 0750 ${dir} (provisioning/install.sh does this)`));
  } else {
    const probe = path.join(dir, `.doctor-${process.pid}`);
    try {
      const fd = fs.openSync(probe, 'w');
      fs.writeSync(fd, 'vigil doctor');
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fs.rmSync(probe);
      out.push(pass('data dir', `${dir} writable`));
    } catch (err) {
      out.push(fail('data dir', `${dir} not writable: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, `check the mount is rw and owned by vigil: sudo chown -R vigil:vigil ${dir}`));
    }
  }
  const at = existingAncestor(dir);
  const st = await fs.promises.statfs(at);
  const total = st.blocks * st.bsize;
  const free = st.bavail * st.bsize;
  const freePct = total > 0 ? Math.round((free / total) * 1000) / 10 : 0;
  const required = Math.max(config.retention.min_free_bytes, (config.retention.min_free_percent / 100) * total);
  const detail = `${formatSize(free)} free of ${formatSize(total)} (${freePct}%), retention keeps ${formatSize(required)}`;
  if (total === 0) out.push(fail('free space', `${at}: filesystem reports no size`, 'mount a real disk at the data dir'));
  else if (total <= required) out.push(fail('free space', `${detail}: the reserve is larger than the disk, nothing can be kept`, 'use a larger disk or lower retention.min_free_bytes / min_free_percent'));
  else if (free < required) out.push(warn('free space', `${detail}: below the reserve, retention is deleting old footage`, 'expected on a full loop; if footage is missing, check protected segments and clips'));
  else out.push(pass('free space', detail));
  const fsType = FS_TYPES[Number(st.type)] ?? `type 0x${Number(st.type).toString(16)}`;
  if (VOLATILE.has(fsType)) out.push(warn('filesystem', `${at} is on ${fsType}: recordings are lost at reboot`, 'mount persistent storage (ext4 on SSD/NVMe/SD) at the data dir'));
  else if (FRAGILE.has(fsType)) out.push(warn('filesystem', `${at} is on ${fsType}: no journal, a power cut can corrupt it`, 'reformat the recording disk as ext4'));
  else out.push(pass('filesystem', `${at} is on ${fsType}`));
  return out;
}
