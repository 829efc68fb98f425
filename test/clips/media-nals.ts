// Compressed-frame extraction for the no-re-encode checks: the H.264 slice NAL units (the
// coded pictures) of TS loop segments, read straight from the TS packets here, and of a clip
// MP4, converted to Annex-B by gst (qtdemux ! h264parse, which never touches slice bytes).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gstLaunch } from '../helpers/media';

/** Splits an Annex-B stream into NAL units (without start codes or trailing zero bytes). */
export function splitAnnexB(es: Buffer): Buffer[] {
  const starts: number[] = [];
  for (let i = 0; i + 2 < es.length; i++) {
    if (es[i] === 0 && es[i + 1] === 0 && es[i + 2] === 1) {
      starts.push(i + 3);
      i += 2;
    }
  }
  const nals: Buffer[] = [];
  for (let k = 0; k < starts.length; k++) {
    let end = k + 1 < starts.length ? (starts[k + 1] as number) - 3 : es.length;
    while (end > (starts[k] as number) && es[end - 1] === 0) end--;
    nals.push(es.subarray(starts[k] as number, end));
  }
  return nals;
}

/** Slice NAL units (types 1..5): the coded pictures. */
export function sliceNals(nals: Buffer[]): Buffer[] {
  return nals.filter((n) => {
    const t = (n[0] ?? 0) & 0x1f;
    return t >= 1 && t <= 5;
  });
}

/** The video elementary stream of a TS file: PES payloads of stream_id 0xE0, in order. */
export function tsElementaryStream(file: string): Buffer {
  const ts = fs.readFileSync(file);
  const parts: Buffer[] = [];
  let videoPid = -1;
  for (let off = 0; off + 188 <= ts.length; off += 188) {
    const pid = (((ts[off + 1] ?? 0) & 0x1f) << 8) | (ts[off + 2] ?? 0);
    const unitStart = ((ts[off + 1] ?? 0) & 0x40) !== 0;
    const afc = ((ts[off + 3] ?? 0) >> 4) & 3;
    let p = off + 4;
    if (afc & 2) p += 1 + (ts[p] ?? 0);
    if (!(afc & 1) || p >= off + 188) continue;
    if (unitStart && ts[p] === 0 && ts[p + 1] === 0 && ts[p + 2] === 1 && ((ts[p + 3] ?? 0) & 0xf0) === 0xe0) {
      videoPid = pid;
      p += 9 + (ts[p + 8] ?? 0);
    } else if (pid !== videoPid) continue;
    parts.push(ts.subarray(p, off + 188));
  }
  return Buffer.concat(parts);
}

/** Slice NALs of a clip MP4, via gst: length-prefixed samples to an Annex-B file. */
export async function mp4SliceNals(mp4: string): Promise<Buffer[]> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-nals-')), 'clip.h264');
  await gstLaunch(['-q', 'filesrc', `location=${mp4}`, '!', 'qtdemux', '!', 'h264parse', '!', 'video/x-h264,stream-format=byte-stream,alignment=au', '!', 'filesink', `location=${out}`]);
  const nals = sliceNals(splitAnnexB(fs.readFileSync(out)));
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  return nals;
}

/** Asserts-friendly comparison: where `clip` sits inside `source`, and the first mismatch if any. */
export function matchRun(source: Buffer[], clip: Buffer[]): { at: number; mismatch: number | null } {
  const first = clip[0];
  if (!first) return { at: -1, mismatch: 0 };
  let best = { at: -1, mismatch: 0 as number | null };
  // Every position where the first picture matches (a static scene can repeat a picture).
  for (let at = 0; at < source.length; at++) {
    if (!(source[at] as Buffer).equals(first)) continue;
    let i = 0;
    while (i < clip.length && source[at + i]?.equals(clip[i] as Buffer)) i++;
    if (i === clip.length) return { at, mismatch: null };
    if (best.at < 0 || i > (best.mismatch ?? 0)) best = { at, mismatch: i };
  }
  return best;
}
