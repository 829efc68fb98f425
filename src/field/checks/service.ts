// Service enabled and watchdog configured: the unit is installed and enabled, it pings
// systemd's watchdog (WatchdogSec), and systemd itself arms the hardware watchdog
// (RuntimeWatchdogSec) so a hung kernel reboots the board.
import fs from 'node:fs';
import path from 'node:path';
import { fail, pass, warn, type CheckResult, type DoctorContext } from '../check';

export const UNIT = 'vigil.service';
const UNIT_DIRS = ['etc/systemd/system', 'lib/systemd/system', 'usr/lib/systemd/system'];

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** `Key=value` of the last assignment in systemd ini text (later lines win, as in systemd). */
export function iniValue(text: string, key: string): string | null {
  let v: string | null = null;
  for (const line of text.split('\n')) {
    const m = new RegExp(`^\\s*${key}\\s*=\\s*(.*?)\\s*$`).exec(line);
    if (m) v = m[1] ?? '';
  }
  return v;
}

/** RuntimeWatchdogSec from system.conf and its drop-ins, in systemd's order (drop-ins win). */
function runtimeWatchdog(root: string): { value: string | null; from: string | null } {
  let value: string | null = null;
  let from: string | null = null;
  const files = [path.join(root, 'etc/systemd/system.conf')];
  for (const d of ['usr/lib/systemd/system.conf.d', 'etc/systemd/system.conf.d']) {
    const dir = path.join(root, d);
    if (fs.existsSync(dir)) files.push(...fs.readdirSync(dir).filter((f) => f.endsWith('.conf')).sort().map((f) => path.join(dir, f)));
  }
  for (const f of files) {
    const v = iniValue(read(f) ?? '', 'RuntimeWatchdogSec');
    if (v !== null) {
      value = v;
      from = f;
    }
  }
  return { value, from };
}

export async function checkService(ctx: DoctorContext): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const unitFile = UNIT_DIRS.map((d) => path.join(ctx.root, d, UNIT)).find((f) => fs.existsSync(f)) ?? null;
  if (!unitFile) {
    out.push(fail('service', `${UNIT} not installed`, 'sudo provisioning/install.sh'));
  } else {
    // lstat: the link's target is an absolute path of the target system, not of ctx.root.
    const wanted = isLink(path.join(ctx.root, 'etc/systemd/system/multi-user.target.wants', UNIT));
    const live = ctx.root === '/' ? await ctx.run('systemctl', ['is-enabled', UNIT], 5000) : null;
    const state = live && live.failure === null && /^(enabled|disabled|static|masked)/.test(live.stdout.trim()) ? live.stdout.trim() : wanted ? 'enabled' : 'disabled';
    out.push(state === 'enabled' ? pass('service', `${unitFile} installed and enabled`) : fail('service', `${UNIT} is ${state}`, `sudo systemctl enable --now ${UNIT}`));
    const wd = iniValue(read(unitFile) ?? '', 'WatchdogSec');
    out.push(wd && wd !== '0' ? pass('service watchdog', `WatchdogSec=${wd}`) : fail('service watchdog', `${unitFile} has no WatchdogSec: a hung vigild is never restarted`, 'reinstall the unit from systemd/vigil.service (sudo provisioning/install.sh)'));
  }
  const hw = runtimeWatchdog(ctx.root);
  const hwDevice = fs.existsSync(path.join(ctx.root, 'dev/watchdog0')) || fs.existsSync(path.join(ctx.root, 'dev/watchdog'));
  if (!hw.value || hw.value === '0' || hw.value === 'off') out.push(fail('hardware watchdog', 'RuntimeWatchdogSec not set: a hung kernel never reboots the board', 'sudo provisioning/install.sh (writes /etc/systemd/system.conf.d/vigil-watchdog.conf)'));
  else if (!hwDevice) out.push(warn('hardware watchdog', `RuntimeWatchdogSec=${hw.value} (${hw.from}) but no /dev/watchdog on this machine`, 'enable the SoC watchdog driver (on a Pi: dtparam=watchdog=on in config.txt)'));
  else out.push(pass('hardware watchdog', `RuntimeWatchdogSec=${hw.value} (${hw.from})`));
  return out;
}
