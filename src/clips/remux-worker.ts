// Child process that builds one clip: trims the first and last covering segments at frame
// boundaries (ts-cut.ts), hands every piece to gst-launch-1.0 (tsdemux ! h264parse ! concat !
// mp4mux faststart), hashes the result and prints one JSON line. It runs outside the daemon so
// neither the parse nor the muxer ever competes with the daemon's event loop, and the daemon
// can kill its whole process group on timeout. No decode, no encode.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { mapSegment, planCut, writeCut } from './ts-cut';

export interface RemuxSegment { path: string; startMs: number; endMs: number; frames: number | null }

export interface RemuxJob {
  segments: RemuxSegment[];
  /** Requested wall-clock window, UTC ms. */
  startMs: number;
  endMs: number;
  out: string;
  tmpDir: string;
}

export interface RemuxResult {
  startMs: number;
  endMs: number;
  frames: number;
  bytes: number;
  sha256: string;
  /** Wall-clock ms spent in the muxer alone (the rest is trimming and hashing). */
  muxMs: number;
}

/** A gst-launch argument value; paths come from the index (camera names are a safe alphabet). */
function quoted(p: string): string {
  if (/["\\]/.test(p)) throw new Error(`path not usable in a pipeline: ${p}`);
  return `"${p}"`;
}

export function remuxArgs(files: string[], out: string): string[] {
  const args = ['-q', 'concat', 'name=c', '!', 'h264parse', '!', 'mp4mux', 'faststart=true', '!', 'filesink', `location=${quoted(out)}`];
  for (const f of files) args.push('filesrc', `location=${quoted(f)}`, '!', 'tsdemux', '!', 'h264parse', '!', 'c.');
  return args;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => void (stderr = (stderr + c).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code ?? signal}: ${stderr.trim()}`))));
  });
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function remux(job: RemuxJob): Promise<RemuxResult> {
  const segs = job.segments;
  const first = segs[0];
  const last = segs[segs.length - 1];
  if (!first || !last) throw new Error('no segments cover the window');
  fs.mkdirSync(job.tmpDir, { recursive: true });
  const files: string[] = segs.map((s) => s.path);
  const temps: string[] = [];
  let startMs = first.startMs;
  let endMs = last.endMs;
  let frames = segs.reduce((n, s) => n + (s.frames ?? 0), 0);
  try {
    // Head and tail: the only segments whose packets are not all kept (one segment may be both).
    const ends = segs.length === 1 ? [0] : [0, segs.length - 1];
    for (const i of ends) {
      const seg = segs[i] as RemuxSegment;
      const map = await mapSegment(seg.path);
      const head = i === 0 && job.startMs > seg.startMs ? job.startMs - seg.startMs : null;
      const tail = i === segs.length - 1 && job.endMs < seg.endMs ? job.endMs - seg.startMs : null;
      const plan = planCut(map, head, tail);
      if (!plan) throw new Error(`no keyframe to start from in ${seg.path}`);
      frames += plan.frames - (seg.frames ?? 0);
      if (i === 0) startMs = seg.startMs + plan.firstMs;
      if (i === segs.length - 1) endMs = seg.startMs + plan.endMs;
      if (plan.from === 0 && plan.to >= map.size - (map.size % 188)) continue; // kept whole
      const tmp = path.join(job.tmpDir, `${path.basename(job.out)}.${i}.ts`);
      await writeCut(seg.path, map, plan, tmp);
      temps.push(tmp);
      files[i] = tmp;
    }
    const part = `${job.out}.part`;
    const t0 = Date.now();
    await run('gst-launch-1.0', remuxArgs(files, part));
    const muxMs = Date.now() - t0;
    const fh = await fs.promises.open(part, 'r');
    await fh.sync();
    await fh.close();
    fs.renameSync(part, job.out);
    const bytes = fs.statSync(job.out).size;
    return { startMs: Math.round(startMs), endMs: Math.round(endMs), frames, bytes, sha256: await sha256File(job.out), muxMs };
  } finally {
    for (const t of temps) fs.rmSync(t, { force: true });
  }
}

if (require.main === module) {
  const job = JSON.parse(process.argv[2] ?? '{}') as RemuxJob;
  remux(job).then(
    (r) => process.stdout.write(`${JSON.stringify({ ok: true, result: r })}\n`),
    (err: unknown) => {
      process.stdout.write(`${JSON.stringify({ ok: false, error: String((err as Error).message ?? err) })}\n`);
      process.exitCode = 1;
    },
  );
}
