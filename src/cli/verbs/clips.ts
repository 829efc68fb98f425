// `vigil clips …`: list, inspect, create, lock, delete and upload event clips through the
// daemon, and export one to a mounted USB stick (copy, fsync, verify sha256, progress bar).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, UsageError, type CliContext, type CliVerb } from '../verb';

const USAGE = 'clips list [--camera C] [--state S] | get ID | create --camera C [--start ISO --end ISO | --pre S --post S] [--reason R] [--lock] | export ID DEST | delete ID | lock ID [--off] | upload ID URL [--header K:V]…';

interface ClipView {
  id: string; camera: string; state: string; reason: string; start: string | null; end: string | null;
  requested_start: string; requested_end: string; duration_s: number | null; bytes: number | null;
  sha256: string | null; locked: boolean; cause: string | null; path: string | null;
}

async function call(ctx: CliContext, command: string, args: unknown): Promise<{ ok: true; data: unknown } | { ok: false; code: number }> {
  const res = await ctx.call(command, args);
  if (res.status === 'ok') return { ok: true, data: res.data };
  if (ctx.json) ctx.out(JSON.stringify(res));
  else ctx.err(`vigil: ${command}: ${res.error?.code ?? 'error'}: ${res.error?.message ?? ''}`);
  return { ok: false, code: EXIT.commandError };
}

function table(rows: ClipView[]): string {
  const head = 'ID                                   CAMERA     STATE      START                     DUR s    BYTES  LOCK  REASON';
  return [head, ...rows.map((r) => [
    r.id.padEnd(36), r.camera.padEnd(10), r.state.padEnd(10), (r.start ?? r.requested_start).padEnd(25),
    String(r.duration_s ?? '-').padStart(5), String(r.bytes ?? '-').padStart(8), (r.locked ? 'yes' : 'no').padEnd(4), r.cause ? `${r.reason} (${r.cause})` : r.reason,
  ].join(' '))].join('\n');
}

function show(ctx: CliContext, data: unknown, human: () => string): number {
  ctx.out(ctx.json ? JSON.stringify(data) : human());
  return EXIT.ok;
}

function one(positionals: string[], what: string): string {
  const v = positionals[0];
  if (!v) throw new UsageError(`missing ${what}`);
  return v;
}

const OPTIONS = {
  camera: { type: 'string' }, state: { type: 'string' }, start: { type: 'string' }, end: { type: 'string' },
  pre: { type: 'string' }, post: { type: 'string' }, reason: { type: 'string' }, lock: { type: 'boolean' },
  off: { type: 'boolean' }, header: { type: 'string', multiple: true }, limit: { type: 'string' },
} as const;

function parseOptions(args: string[]): ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function run(argv: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  const { values: o, positionals: pos } = parseOptions(rest);
  const num = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number`);
    return n;
  };
  switch (sub) {
    case 'list': {
      const r = await call(ctx, 'clip.list', { camera: o.camera, state: o.state, limit: num(o.limit, 'limit') });
      return r.ok ? show(ctx, r.data, () => table(r.data as ClipView[])) : r.code;
    }
    case 'get': {
      const r = await call(ctx, 'clip.get', { id: one(pos, 'ID') });
      return r.ok ? show(ctx, r.data, () => Object.entries(r.data as object).map(([k, v]) => `${k.padEnd(16)} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`).join('\n')) : r.code;
    }
    case 'create': {
      if (!o.camera) throw new UsageError('create needs --camera');
      const args = { camera: o.camera, start: o.start, end: o.end, pre_s: num(o.pre, 'pre'), post_s: num(o.post, 'post'), reason: o.reason ?? 'manual', lock: o.lock ?? false };
      const r = await call(ctx, 'clip.create', args);
      return r.ok ? show(ctx, r.data, () => `clip ${(r.data as ClipView).id} ${(r.data as ClipView).state}`) : r.code;
    }
    case 'delete': {
      const r = await call(ctx, 'clip.delete', { id: one(pos, 'ID') });
      return r.ok ? show(ctx, r.data, () => `clip ${(r.data as ClipView).id} deleted`) : r.code;
    }
    case 'lock': {
      const r = await call(ctx, 'clip.lock', { id: one(pos, 'ID'), locked: !o.off });
      return r.ok ? show(ctx, r.data, () => `clip ${(r.data as ClipView).id} ${(r.data as ClipView).locked ? 'locked' : 'unlocked'}`) : r.code;
    }
    case 'upload': {
      const [id, url] = pos;
      if (!id || !url) throw new UsageError('upload needs ID and URL');
      const headers: Record<string, string> = {};
      for (const h of o.header ?? []) {
        const i = h.indexOf(':');
        if (i <= 0) throw new UsageError(`--header must be K:V, got "${h}"`);
        headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
      }
      const r = await call(ctx, 'clip.upload', { id, url, method: 'PUT', headers });
      return r.ok ? show(ctx, r.data, () => `clip ${id} queued for upload`) : r.code;
    }
    case 'export': {
      const [id, dest] = pos;
      if (!id || !dest) throw new UsageError('export needs ID and DEST');
      return exportClip(ctx, id, dest);
    }
    default:
      throw new UsageError(sub ? `unknown clips subcommand "${sub}"` : 'missing clips subcommand');
  }
}

/** Copies the clip file (read directly: the CLI runs on the device), fsyncs, re-reads and verifies. */
async function exportClip(ctx: CliContext, id: string, dest: string): Promise<number> {
  const r = await call(ctx, 'clip.get', { id });
  if (!r.ok) return r.code;
  const clip = r.data as ClipView;
  if (!clip.path || !clip.sha256 || clip.bytes === null) {
    ctx.err(`vigil: clip ${id} is ${clip.state}; only a built clip can be exported`);
    return EXIT.commandError;
  }
  const target = fs.existsSync(dest) && fs.statSync(dest).isDirectory() ? path.join(dest, `${id}.mp4`) : dest;
  let out: number;
  try {
    out = fs.openSync(target, 'wx', 0o644); // wx: never overwrite
  } catch (err) {
    ctx.err(`vigil: cannot export to ${target}: ${(err as NodeJS.ErrnoException).code === 'EEXIST' ? 'file exists (refusing to overwrite)' : (err as Error).message}`);
    return EXIT.commandError;
  }
  const total = clip.bytes;
  const tty = process.stderr.isTTY === true;
  let copied = 0;
  let lastDraw = 0;
  try {
    for await (const chunk of fs.createReadStream(clip.path, { highWaterMark: 1 << 20 })) {
      const buf = chunk as Buffer;
      for (let off = 0; off < buf.length;) off += fs.writeSync(out, buf, off, buf.length - off);
      copied += buf.length;
      if (tty && Date.now() - lastDraw > 100) {
        lastDraw = Date.now();
        process.stderr.write(`\r${bar(copied, total)}`);
      }
    }
    fs.fsyncSync(out);
  } finally {
    fs.closeSync(out);
  }
  // Verify what the stick holds now, not what was written: read it back from the file.
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(target)) hash.update(chunk as Buffer);
  const got = hash.digest('hex');
  const line = `${bar(copied, total)} ${target}`;
  if (tty) process.stderr.write(`\r${line}\n`);
  else ctx.err(line);
  const ok = got === clip.sha256 && copied === total;
  if (ctx.json) ctx.out(JSON.stringify({ id, dest: target, bytes: copied, sha256: got, expected_sha256: clip.sha256, verified: ok }));
  else ctx.out(ok ? `exported ${id} to ${target}, sha256 ${got} verified` : `sha256 MISMATCH for ${target}: got ${got}, expected ${clip.sha256}`);
  return ok ? EXIT.ok : EXIT.checkFailed;
}

function bar(done: number, total: number): string {
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const width = 30;
  const full = Math.round(frac * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}% ${done}/${total} B`;
}

export const clipsVerb: CliVerb = { name: 'clips', usage: USAGE, summary: 'event clips: list, create, export to USB, lock, delete, upload', run };
