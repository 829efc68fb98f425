// The shape of one doctor check and the context every check reads. A check is a small
// function that never throws: whatever goes wrong becomes a FAIL line naming the fix.
import type { Config } from '../config/schema';
import type { Platform } from '../pipeline/platform';
import type { ToolRunner } from './exec';

export type CheckLevel = 'PASS' | 'WARN' | 'FAIL';

export interface CheckResult {
  name: string;
  level: CheckLevel;
  detail: string;
  /** What to do about a WARN or FAIL; empty on PASS. */
  fix: string;
}

export interface DoctorContext {
  configPath: string;
  /** The loaded config, or null when it is missing or invalid (the config check says why). */
  config: Config | null;
  platform: Platform;
  /** Filesystem root for system files (/etc/systemd, /dev, /proc); "/" except in tests. */
  root: string;
  run: ToolRunner;
  now: () => number;
}

export type Check = (ctx: DoctorContext) => Promise<CheckResult[]>;

export const pass = (name: string, detail: string): CheckResult => ({ name, level: 'PASS', detail, fix: '' });
export const warn = (name: string, detail: string, fix: string): CheckResult => ({ name, level: 'WARN', detail, fix });
export const fail = (name: string, detail: string, fix: string): CheckResult => ({ name, level: 'FAIL', detail, fix });

/** Runs one check; an exception is a bug in the check, reported as its FAIL rather than a crash. */
export async function runCheck(name: string, check: Check, ctx: DoctorContext): Promise<CheckResult[]> {
  try {
    return await check(ctx);
  } catch (err) {
    return [fail(name, `check crashed: ${(err as Error).message}`, 'report this as a vigil bug')];
  }
}
