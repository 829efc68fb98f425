// Clock synchronised: segment names, the index and every event carry wall-clock time, so an
// unsynchronised clock (common on boards without an RTC) misfiles footage.
import fs from 'node:fs';
import path from 'node:path';
import { fail, pass, warn, type CheckResult, type DoctorContext } from '../check';

/** Anything earlier is a board that booted without an RTC and never reached an NTP server. */
const EARLIEST_SANE_MS = Date.parse('2025-01-01T00:00:00Z');

export async function checkClock(ctx: DoctorContext): Promise<CheckResult[]> {
  const now = ctx.now();
  const iso = new Date(now).toISOString();
  if (now < EARLIEST_SANE_MS) {
    return [fail('clock', `system time ${iso} is before 2025: never synchronised`, 'enable NTP: sudo timedatectl set-ntp true (and check the network reaches an NTP server)')];
  }
  // systemd-timesyncd touches this file once it has synchronised.
  if (fs.existsSync(path.join(ctx.root, 'run/systemd/timesync/synchronized'))) return [pass('clock', `${iso}, synchronised (systemd-timesyncd)`)];
  const td = await ctx.run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], 5000);
  if (td.code === 0 && td.stdout.trim() === 'yes') return [pass('clock', `${iso}, synchronised (timedatectl)`)];
  if (td.code === 0 && td.stdout.trim() === 'no') {
    return [warn('clock', `${iso}, NOT synchronised (timedatectl NTPSynchronized=no)`, 'sudo timedatectl set-ntp true; check that UDP 123 reaches an NTP server')];
  }
  const chrony = await ctx.run('chronyc', ['-n', 'tracking'], 5000);
  if (chrony.code === 0) {
    return /Leap status\s*:\s*Normal/.test(chrony.stdout) ? [pass('clock', `${iso}, synchronised (chrony)`)]
      : [warn('clock', `${iso}, chrony not synchronised`, 'check chronyc sources')];
  }
  return [warn('clock', `${iso}, cannot tell whether it is synchronised (timedatectl: ${(td.stderr || td.failure || '').trim().split('\n')[0] || 'no answer'})`,
    'run systemd-timesyncd or chrony so the time is kept in sync')];
}
