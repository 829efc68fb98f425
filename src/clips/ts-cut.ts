// Keyframe-aware trimming of MPEG-TS loop segments, without decoding: find where each video
// access unit starts (a whole 188-byte packet), then copy whole packets from the keyframe at or
// before the clip start (behind a copy of the segment's PAT and PMT, so the trimmed file is a
// valid TS on its own) up to the first frame at or after the clip end. The packets are copied
// verbatim, so the compressed frames stay byte-identical to the loop.
import { promises as fsp } from 'node:fs';
import { TS_PACKET_SIZE, TS_SYNC_BYTE, TsVideoDemuxer } from '../recording/ts-demux';

const READ_SIZE = TS_PACKET_SIZE * 5577;
const PTS_PERIOD = 2 ** 33;

export interface AuPosition {
  /** Byte offset of the packet that starts this access unit's PES. */
  offset: number;
  /** PTS in ms, unwrapped, relative to the smallest PTS of the segment (its wall-clock start). */
  ms: number;
  key: boolean;
}

export interface SegmentMap {
  size: number;
  /** Raw PAT and PMT packets (the first of each), prepended to a trimmed head. */
  psi: Buffer;
  aus: AuPosition[];
  /** One frame duration in ms (median step), 0 if unknown. */
  frameMs: number;
}

/** Reads a segment once and maps every access unit to its packet offset and PTS. */
export async function mapSegment(file: string): Promise<SegmentMap> {
  const fh = await fsp.open(file, 'r');
  try {
    const { size } = await fh.stat();
    const buf = Buffer.allocUnsafe(READ_SIZE);
    // AUs complete in order; each one's start packet is queued when its PES begins.
    const starts: number[] = [];
    const raw: { offset: number; pts: number | null; key: boolean }[] = [];
    const demux = new TsVideoDemuxer((au) => raw.push({ offset: starts.shift() ?? -1, pts: au.pts, key: au.key }));
    let pat: Buffer | null = null;
    let pmt: Buffer | null = null;
    let pmtPid = -1;
    for (let pos = 0; pos + TS_PACKET_SIZE <= size; pos += READ_SIZE) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(READ_SIZE, size - pos), pos);
      for (let off = 0; off + TS_PACKET_SIZE <= bytesRead; off += TS_PACKET_SIZE) {
        if (buf[off] !== TS_SYNC_BYTE) throw new Error(`${file}: sync byte missing at offset ${pos + off}`);
        const pid = (((buf[off + 1] ?? 0) & 0x1f) << 8) | (buf[off + 2] ?? 0);
        const unitStart = ((buf[off + 1] ?? 0) & 0x40) !== 0;
        if (pid === 0 && !pat && unitStart) pat = Buffer.from(buf.subarray(off, off + TS_PACKET_SIZE));
        if (pat && pmtPid < 0) pmtPid = pmtPidOf(pat);
        if (pid === pmtPid && !pmt && unitStart) pmt = Buffer.from(buf.subarray(off, off + TS_PACKET_SIZE));
        if (unitStart && pid === demux.stats.videoPid) starts.push(pos + off);
        demux.push(buf, off);
      }
    }
    demux.finish(size % TS_PACKET_SIZE === 0);
    if (!pat || !pmt) throw new Error(`${file}: no PAT/PMT`);
    return { size, psi: Buffer.concat([pat, pmt]), ...normalise(raw) };
  } finally {
    await fh.close();
  }
}

function pmtPidOf(pat: Buffer): number {
  const afc = ((pat[3] ?? 0) >> 4) & 0x03;
  let p = 4 + (afc & 0x02 ? 1 + (pat[4] ?? 0) : 0);
  p += 1 + (pat[p] ?? 0); // pointer field
  // section header 8 bytes, then program entries (program 0 is the network PID)
  for (let i = p + 8; i + 4 <= pat.length - 4; i += 4) {
    if (pat.readUInt16BE(i) !== 0) return pat.readUInt16BE(i + 2) & 0x1fff;
  }
  return -1;
}

function normalise(raw: { offset: number; pts: number | null; key: boolean }[]): { aus: AuPosition[]; frameMs: number } {
  let prev: number | null = null;
  const unwrapped: { offset: number; pts: number; key: boolean }[] = [];
  for (const r of raw) {
    if (r.pts === null || r.offset < 0) continue;
    const pts: number = prev === null ? r.pts : r.pts + Math.round((prev - r.pts) / PTS_PERIOD) * PTS_PERIOD;
    prev = pts;
    unwrapped.push({ offset: r.offset, pts, key: r.key });
  }
  const min = unwrapped.reduce((m, u) => Math.min(m, u.pts), Infinity);
  const sorted = unwrapped.map((u) => u.pts).sort((a, b) => a - b);
  const steps = sorted.slice(1).map((p, i) => p - (sorted[i] ?? p)).filter((d) => d > 0).sort((a, b) => a - b);
  return {
    aus: unwrapped.map((u) => ({ offset: u.offset, key: u.key, ms: (u.pts - min) / 90 })),
    frameMs: steps.length ? (steps[steps.length >> 1] ?? 0) / 90 : 0,
  };
}

export interface CutPlan {
  /** Byte range [from, to) of the segment to copy; from > 0 means PSI must be prepended. */
  from: number;
  to: number;
  /** Offsets (ms from the segment's wall-clock start) of the first and after-last frame kept. */
  firstMs: number;
  endMs: number;
  frames: number;
}

/**
 * Chooses the packets to keep from one segment for the wall-clock window [startMs, endMs),
 * both relative to the segment start. With `startMs` null the segment is kept from its
 * beginning; with `endMs` null to its end. The head starts at the last keyframe at or before
 * startMs (or the first keyframe when none is that early).
 */
export function planCut(map: SegmentMap, startMs: number | null, endMs: number | null): CutPlan | null {
  const aus = map.aus;
  let first = 0;
  if (startMs !== null) {
    let chosen = -1;
    for (let i = 0; i < aus.length; i++) {
      const au = aus[i] as AuPosition;
      if (!au.key) continue;
      if (au.ms <= startMs + 0.5 || chosen < 0) chosen = i;
      if (au.ms > startMs + 0.5) break;
    }
    if (chosen < 0) return null;
    first = chosen;
  }
  let last = aus.length; // exclusive
  if (endMs !== null) {
    for (let i = first; i < aus.length; i++) {
      if ((aus[i] as AuPosition).ms >= endMs - 0.5) {
        last = i;
        break;
      }
    }
  }
  if (last <= first) return null;
  const head = aus[first] as AuPosition;
  const to = last < aus.length ? (aus[last] as AuPosition).offset : map.size - (map.size % TS_PACKET_SIZE);
  const lastKept = aus.slice(first, last).reduce((m, a) => Math.max(m, a.ms), -Infinity);
  return { from: startMs === null ? 0 : head.offset, to, firstMs: head.ms, endMs: lastKept + map.frameMs, frames: last - first };
}

/** Writes the planned packets of `file` to `dest`, PAT/PMT first when the head was cut. */
export async function writeCut(file: string, map: SegmentMap, plan: CutPlan, dest: string): Promise<void> {
  const src = await fsp.open(file, 'r');
  const out = await fsp.open(dest, 'w', 0o600);
  try {
    if (plan.from > 0) await out.write(map.psi);
    const buf = Buffer.allocUnsafe(READ_SIZE);
    for (let pos = plan.from; pos < plan.to; pos += READ_SIZE) {
      const { bytesRead } = await src.read(buf, 0, Math.min(READ_SIZE, plan.to - pos), pos);
      if (bytesRead === 0) break;
      await out.write(buf, 0, bytesRead);
    }
  } finally {
    await out.close();
    await src.close();
  }
}
