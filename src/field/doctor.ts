// `vigil doctor`: every check a technician needs on SSH, in the order a fix has to happen
// (config before pipelines, TLS files before the broker). Works with the daemon down.
import path from 'node:path';
import { callDaemon, DaemonUnreachable } from '../cli/client';
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { detectPlatform, type Platform } from '../pipeline/platform';
import { fail, pass, runCheck, warn, type Check, type CheckResult, type DoctorContext } from './check';
import { checkBroker } from './checks/broker';
import { checkCameras } from './checks/cameras';
import { checkClock } from './checks/clock';
import { checkConfig } from './checks/config';
import { checkPipelines } from './checks/pipeline';
import { checkService } from './checks/service';
import { checkStorage } from './checks/storage';
import { runTool, type ToolRunner } from './exec';

export interface DoctorOptions {
  configPath: string;
  root?: string;
  platform?: Platform;
  run?: ToolRunner;
  now?: () => number;
}

const checkDaemon: Check = async (ctx) => {
  if (!ctx.config) return [];
  const sock = path.join(ctx.config.data_dir, 'vigil.sock');
  try {
    const res = await callDaemon(sock, 'status', {}, 3000);
    const s = res.data as { pid: number; uptimeS: number; cameras: Array<{ camera: string; state: string }> } | null;
    if (res.status !== 'ok' || !s) return [fail('daemon', `vigild answered with an error: ${res.error?.message ?? '?'}`, 'vigil logs')];
    const notRecording = s.cameras.filter((c) => c.state !== 'recording');
    return [notRecording.length === 0 ? pass('daemon', `vigild pid ${s.pid} up ${s.uptimeS} s, ${s.cameras.length} camera(s) recording`)
      : warn('daemon', `vigild pid ${s.pid}: ${notRecording.map((c) => `${c.camera} ${c.state}`).join(', ')}`, 'vigil status; vigil logs')];
  } catch (err) {
    if (err instanceof DaemonUnreachable) return [warn('daemon', `vigild not running (${err.message})`, 'sudo systemctl start vigil; then vigil logs')];
    throw err;
  }
};

export async function runDoctor(opts: DoctorOptions): Promise<CheckResult[]> {
  const root = opts.root ?? '/';
  let config: Config | null = null;
  let error: unknown = null;
  try {
    config = loadConfig(opts.configPath);
  } catch (err) {
    error = err;
  }
  const ctx: DoctorContext = {
    configPath: opts.configPath, config, root,
    platform: opts.platform ?? detectPlatform(root),
    run: opts.run ?? runTool,
    now: opts.now ?? Date.now,
  };
  const results: CheckResult[] = [...checkConfig(ctx, error)];
  const checks: Array<[string, Check]> = [
    ['gstreamer', checkPipelines], ['cameras', checkCameras], ['data dir', checkStorage], ['clock', checkClock],
    ['broker', checkBroker], ['service', checkService], ['daemon', checkDaemon],
  ];
  for (const [name, check] of checks) results.push(...(await runCheck(name, check, ctx)));
  return results;
}

/** One line per check: "FAIL  broker        no broker configured ...\n      fix: ..." */
export function formatDoctor(results: CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length), 8);
  const lines = results.map((r) => `${r.level.padEnd(4)}  ${r.name.padEnd(width)}  ${r.detail}${r.fix ? `\n${' '.repeat(width + 8)}fix: ${r.fix}` : ''}`);
  const count = (l: string): number => results.filter((r) => r.level === l).length;
  lines.push('', `${count('PASS')} passed, ${count('WARN')} warnings, ${count('FAIL')} failed`);
  return `${lines.join('\n')}\n`;
}
