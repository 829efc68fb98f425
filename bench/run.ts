// `npm run bench` / `node dist/bench/run.js [name|group ...]`: runs the benches one after the
// other (they measure CPU, so they must never overlap), prints one JSON object on stdout and
// keeps it in bench/results/<timestamp>.json and bench/results/latest.json. Progress goes to
// stderr. See docs/bench.md for what each figure means.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { VERSION } from '../src/app';
import { cleanUpNow, machineInfo, progress, round } from './common';
import { benchDetectorThroughput, benchTapCost } from './detection';
import { benchClips } from './clips';
import { benchFaultRecovery } from './faults';
import { benchFleetLink } from './fleet-link';
import { benchOutbox } from './fleet-outbox';
import { recordingBenches, type Bench, type BenchResult } from './recording';

/** Every bench, in run order; later issues append theirs. */
const BENCHES: Bench[] = [
  ...recordingBenches,
  { name: 'outbox', group: 'fleet', run: () => benchOutbox() },
  { name: 'fleet_link', group: 'fleet', run: () => benchFleetLink() },
  { name: 'fault_recovery', group: 'supervisor', run: (machine) => benchFaultRecovery(machine) },
  { name: 'detector_throughput', group: 'detection', run: (machine) => benchDetectorThroughput(machine) },
  { name: 'detection_tap_cost', group: 'detection', run: (machine) => benchTapCost(machine) },
  { name: 'clip_build', group: 'clips', run: () => benchClips() },
];

/** dist/bench/run.js → <repo>/bench/results */
const RESULTS_DIR = path.resolve(__dirname, '../../bench/results');
const REPO_ROOT = path.resolve(__dirname, '../..');

const USAGE = `usage: node dist/bench/run.js [NAME|GROUP ...]
  no argument runs everything; otherwise the benches whose name or group is given.
  benches: ${BENCHES.map((b) => `${b.name} (${b.group})`).join(', ')}`;

function select(args: string[]): Bench[] {
  if (args.length === 0) return BENCHES;
  const known = new Set(BENCHES.flatMap((b) => [b.name, b.group]));
  const unknown = args.filter((a) => !known.has(a));
  if (unknown.length > 0) {
    process.stderr.write(`unknown bench or group: ${unknown.join(', ')}\n${USAGE}\n`);
    process.exit(2);
  }
  return BENCHES.filter((b) => args.includes(b.name) || args.includes(b.group));
}

/** Which code was measured; null outside a git checkout (an installed device). */
function gitInfo(): { commit: string; dirty: boolean } | null {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return { commit, dirty };
  } catch (err) {
    progress(`no git information: ${(err as Error).message.split('\n')[0] ?? ''}`);
    return null;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const benches = select(args);
  // Daemons run in their own process groups, so Ctrl-C would not reach them without this.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      progress(`${sig}: killing what the bench started`);
      cleanUpNow();
      process.exit(130);
    });
  }

  const startedAt = new Date();
  const machine = machineInfo();
  const sections: Record<string, BenchResult> = {};
  const failed: string[] = [];
  for (const b of benches) {
    const t0 = Date.now();
    progress(`== ${b.name}`);
    try {
      sections[b.name] = { ...(await b.run(machine)), bench_wall_s: round((Date.now() - t0) / 1000, 1) };
    } catch (err) {
      // One broken bench must not cost the figures of the others.
      progress(`${b.name} failed: ${(err as Error).stack ?? String(err)}`);
      sections[b.name] = { machine, error: (err as Error).message };
      failed.push(b.name);
    }
  }
  const finishedAt = new Date();
  const result = {
    vigil_version: VERSION,
    git: gitInfo(),
    started_at: startedAt.toISOString(),
    finished_at: finishedAt.toISOString(),
    wall_s: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
    selected: args.length > 0 ? args : null,
    failed,
    sections,
  };
  const json = `${JSON.stringify(result, null, 2)}\n`;
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  // Colons are legal on Linux but not in every checkout a result gets copied to.
  const file = path.join(RESULTS_DIR, `${startedAt.toISOString().replace(/:/g, '-')}.json`);
  fs.writeFileSync(file, json);
  fs.writeFileSync(path.join(RESULTS_DIR, 'latest.json'), json);
  progress(`results written to ${file}`);
  process.stdout.write(json);
  process.exitCode = failed.length > 0 ? 1 : 0;
}

main().catch((err: unknown) => {
  progress(`bench crashed: ${(err as Error).stack ?? String(err)}`);
  cleanUpNow();
  process.exit(1);
});
