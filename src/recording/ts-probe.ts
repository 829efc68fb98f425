// Pure-JS probe of an MPEG-TS loop segment: is it playable, how many complete frames does it
// hold, how long is it and where are its keyframes. Used after a crash or power cut, when the
// last segment may be cut mid-packet, and by clips to start on a keyframe without decoding.
// The file is streamed in ~1 MiB reads, so memory does not grow with segment size (only one
// number per frame is kept, for the duration and keyframe offsets).
import { promises as fsp } from 'node:fs';
import { TS_PACKET_SIZE, TS_SYNC_BYTE, TsVideoDemuxer, type AccessUnit, type DemuxStreamInfo, type VideoCodec } from './ts-demux';

export type { VideoCodec } from './ts-demux';

export interface SegmentProbe {
  /** At least one complete video access unit with a PTS was found. */
  ok: boolean;
  /** From the PMT stream_type (0x1B H.264, 0x24 H.265); null for other or no video. */
  codec: VideoCodec | null;
  /** Complete video PES packets (access units), see the completeness rule in TsVideoDemuxer.finish. */
  frames: number;
  /** Complete access units that are random-access points (TS random_access_indicator or IDR/IRAP NAL). */
  keyframes: number;
  /** PTS of the first complete frame in file order, ms (90 kHz clock). */
  firstPtsMs: number | null;
  /** PTS of the last complete frame in file order, ms, unwrapped across the 33-bit wrap (so it
   *  may exceed 2^33 / 90 for a segment recorded across the wrap). */
  lastPtsMs: number | null;
  /** (maxPts - minPts) + one frame duration (median PTS step); 0 with fewer than two timed frames. */
  durationMs: number;
  /** PTS of each keyframe relative to minPts, ms, in file order. */
  keyframeOffsetsMs: number[];
  /** File size in bytes. */
  bytes: number;
  /** File size not a multiple of 188, sync lost before the end, or the last PES was cut short. */
  truncated: boolean;
  /** Why ok is false. */
  error?: string;
}

/** A whole number of packets close to 1 MiB, so reads normally end on a packet boundary. */
const READ_SIZE = TS_PACKET_SIZE * 5577;

/** The 33-bit PTS wraps every ~26.5 h; unwrapped values are kept within half a period of the
 *  previous one so a segment recorded across the wrap stays monotonic. */
const PTS_PERIOD = 2 ** 33;

/** Complete access units, PTS unwrapped, in file (decode) order. */
class FrameTally {
  frames = 0;
  keyframes = 0;
  readonly pts: number[] = [];
  readonly keyframePts: number[] = [];
  private lastPts: number | null = null;

  add(au: AccessUnit): void {
    this.frames++;
    if (au.key) this.keyframes++;
    if (au.pts === null) return;
    const prev = this.lastPts;
    const pts = prev === null ? au.pts : au.pts + Math.round((prev - au.pts) / PTS_PERIOD) * PTS_PERIOD;
    this.lastPts = pts;
    this.pts.push(pts);
    if (au.key) this.keyframePts.push(pts);
  }
}

/**
 * Probes one segment. Rejects only for I/O errors (ENOENT, EACCES, EISDIR...); bad content of
 * any kind resolves with ok=false and an error string.
 *
 * Only 188-byte packets (what mpegtsmux writes by default) are recognised, not 192-byte M2TS.
 * Sync loss after the stream was recognised (e.g. the zero-filled tail a power cut can leave)
 * ends the parse there: the rest of the file is treated as lost and truncated is set.
 */
export async function probeSegment(path: string): Promise<SegmentProbe> {
  const fh = await fsp.open(path, 'r');
  try {
    // The size is taken once: a segment still being written is probed as of this moment.
    const { size } = await fh.stat();
    return await probeHandle(fh, size);
  } finally {
    await fh.close();
  }
}

async function probeHandle(fh: fsp.FileHandle, size: number): Promise<SegmentProbe> {
  const tally = new FrameTally();
  const demux = new TsVideoDemuxer((au) => tally.add(au));
  const buf = Buffer.allocUnsafe(READ_SIZE + TS_PACKET_SIZE);
  let carry = 0; // bytes of an incomplete packet kept at the start of buf
  let position = 0; // file offset of buf[0]
  let syncLostAt: number | null = null;

  while (position + carry < size) {
    const want = Math.min(READ_SIZE, size - position - carry);
    const { bytesRead } = await fh.read(buf, carry, want, position + carry);
    if (bytesRead === 0) break; // the file shrank under us: probe what was there
    const avail = carry + bytesRead;
    let off = 0;
    for (; off + TS_PACKET_SIZE <= avail; off += TS_PACKET_SIZE) {
      if (buf[off] !== TS_SYNC_BYTE) {
        syncLostAt = position + off;
        break;
      }
      demux.push(buf, off);
    }
    if (syncLostAt !== null) break;
    // Keep a partial packet for the next read (READ_SIZE is aligned, so only after short reads).
    carry = avail - off;
    buf.copy(buf, 0, off, avail);
    position += off;
  }
  // A partial packet left at the end is a cut mid-write, unless it does not even start with a
  // sync byte: then report it, so a short non-TS file is not mistaken for a truncated TS one.
  if (syncLostAt === null && carry > 0 && buf[0] !== TS_SYNC_BYTE) syncLostAt = position;

  const endedCleanly = syncLostAt === null && carry === 0 && position === size;
  const droppedPartial = demux.finish(endedCleanly);
  return summarize(demux.stats, tally, size, !endedCleanly || droppedPartial, syncLostAt);
}

function summarize(info: DemuxStreamInfo, st: FrameTally, bytes: number, truncated: boolean,
  syncLostAt: number | null): SegmentProbe {
  const timed = st.pts.length;
  let min = Infinity;
  let max = -Infinity;
  for (const p of st.pts) {
    if (p < min) min = p;
    if (p > max) max = p;
  }
  const probe: SegmentProbe = {
    ok: timed > 0,
    codec: info.codec,
    frames: st.frames,
    keyframes: st.keyframes,
    firstPtsMs: timed > 0 ? ticksToMs(st.pts[0] ?? 0) : null,
    lastPtsMs: timed > 0 ? ticksToMs(st.pts[timed - 1] ?? 0) : null,
    durationMs: timed > 0 ? ticksToMs(max - min + medianStep(st.pts)) : 0,
    keyframeOffsetsMs: st.keyframePts.map((p) => ticksToMs(p - min)),
    bytes,
    truncated,
  };
  if (!probe.ok) probe.error = failureReason(info, st.frames, bytes, syncLostAt);
  return probe;
}

function failureReason(st: DemuxStreamInfo, frames: number, bytes: number, syncLostAt: number | null): string {
  if (bytes === 0) return 'empty file';
  // Without a PAT nothing was recognised: a missing sync byte means this is not TS at all.
  if (!st.patFound && syncLostAt !== null) return `not an MPEG-TS file (sync byte missing at offset ${syncLostAt})`;
  let reason: string;
  if (!st.patFound) reason = 'no PAT';
  else if (!st.pmtFound) reason = 'no PMT';
  else if (st.videoPid === null) reason = 'no video stream';
  else if (frames === 0) reason = 'no complete video frame';
  else reason = 'no video PTS';
  return syncLostAt === null ? reason : `${reason} (sync byte missing at offset ${syncLostAt})`;
}

/**
 * One frame duration: the median step between PTS values sorted into display order (decode
 * order would give negative steps with B-frames). Zero steps are ignored. With a single timed
 * frame there is no step to measure, and no frame rate is guessed: the result is 0.
 */
function medianStep(pts: number[]): number {
  if (pts.length < 2) return 0;
  const sorted = Float64Array.from(pts).sort();
  const steps: number[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const d = (sorted[i] ?? 0) - (sorted[i - 1] ?? 0);
    if (d > 0) steps.push(d);
  }
  if (steps.length === 0) return 0;
  steps.sort((a, b) => a - b);
  return steps[steps.length >> 1] ?? 0;
}

/** 90 kHz ticks to ms, rounded to the microsecond so values print cleanly (33.333 not 33.33333333). */
function ticksToMs(ticks: number): number {
  return Math.round((ticks * 100) / 9) / 1000;
}
