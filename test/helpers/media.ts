// Media helpers for tests: generate real segments with GStreamer, decode them to count frames,
// ask gst-discoverer for the duration, and write structure-only synthetic MPEG-TS files fast
// (for sizes and edge cases such as the 33-bit PTS wrap that real encoders will not produce).
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';

export type TestCodec = 'h264' | 'h265';

export interface ProcessResult { code: number | null; signal: NodeJS.Signals | null; stderr: string }

/**
 * Runs a command, handing each stdout line to `onLine`. The child is SIGKILLed after `timeoutMs`
 * and the promise rejects: non-live mpegtsmux pipelines were seen to hang at EOS (SPIKE.md), and
 * a hung helper must fail the test, not stall the whole run.
 */
export function runProcess(cmd: string, args: string[], timeoutMs: number, onLine?: (line: string) => void): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let partial = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      // Lines are split here, not buffered whole: `gst-launch -v` prints one line per buffer.
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      if (onLine) for (const l of lines) onLine(l);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-8192); // the tail is what explains a failure
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (partial && onLine) onLine(partial);
      if (timedOut) reject(new Error(`${cmd} timed out after ${timeoutMs} ms: ${args.join(' ')}\n${stderr}`));
      else resolve({ code, signal, stderr });
    });
  });
}

/** gst-launch-1.0 with a timeout; rejects on a non-zero exit. `args` is the pipeline, split in words. */
export async function gstLaunch(args: string[], timeoutMs = 60_000, onLine?: (line: string) => void): Promise<void> {
  const r = await runProcess('gst-launch-1.0', args, timeoutMs, onLine);
  if (r.code !== 0) throw new Error(`gst-launch-1.0 exited with ${r.code ?? r.signal}: ${args.join(' ')}\n${r.stderr}`);
}

/**
 * Decodes the file for real and counts the frames that reach the sink: with -v and
 * silent=false, fakesink reports every buffer as a `last-message = chain ...` line.
 */
export async function countDecodedFrames(path: string, timeoutMs = 60_000): Promise<number> {
  let frames = 0;
  await gstLaunch(['-v', 'filesrc', `location=${path}`, '!', 'decodebin', '!', 'fakesink', 'silent=false', 'sync=false'],
    timeoutMs, (line) => {
      if (line.includes('last-message = chain')) frames++;
    });
  return frames;
}

export interface SegmentOptions {
  seconds: number;
  fps: number;
  width: number;
  height: number;
  codec?: TestCodec;
  /** Frames between keyframes (key-int-max); defaults to fps, a 1 s GOP. */
  keyframeInterval?: number;
  /** videotestsrc pattern (smpte, snow, ball...); snow makes large, hard-to-compress frames. */
  pattern?: string;
  /** Encoder bitrate in kbit/s (x264enc/x265enc default: 2048). */
  bitrateKbps?: number;
  timeoutMs?: number;
}

function encodedVideoArgs(o: SegmentOptions): string[] {
  const codec = o.codec ?? 'h264';
  const frames = Math.round(o.seconds * o.fps);
  const key = o.keyframeInterval ?? o.fps;
  const bitrate = o.bitrateKbps === undefined ? [] : [`bitrate=${o.bitrateKbps}`];
  return [
    'videotestsrc', `num-buffers=${frames}`, `pattern=${o.pattern ?? 'smpte'}`, '!',
    // format=I420: without it x264 picks High 4:4:4, which many players refuse (SPIKE.md).
    `video/x-raw,format=I420,width=${o.width},height=${o.height},framerate=${o.fps}/1`, '!',
    codec === 'h264' ? 'x264enc' : 'x265enc', 'speed-preset=ultrafast', `key-int-max=${key}`, ...bitrate, '!',
    // config-interval=-1 puts the parameter sets before every keyframe, like the recorder does.
    codec === 'h264' ? 'h264parse' : 'h265parse', 'config-interval=-1', '!',
  ];
}

/** Generates a real MPEG-TS segment the way the recorder writes them (encoder -> parser -> mpegtsmux). */
export async function makeTsSegment(path: string, o: SegmentOptions): Promise<void> {
  await gstLaunch([...encodedVideoArgs(o), 'mpegtsmux', '!', 'filesink', `location=${path}`], o.timeoutMs);
}

/** Generates a plain (moov at the end) MP4 file: a realistic "not an MPEG-TS file" input. */
export async function makeMp4File(path: string, o: SegmentOptions): Promise<void> {
  await gstLaunch([...encodedVideoArgs(o), 'mp4mux', '!', 'filesink', `location=${path}`], o.timeoutMs);
}

/**
 * gst-discoverer-1.0's view of a file. Resolves whatever the exit code (it fails on broken
 * files, and `raw` then says why); durationMs is null when no Duration line was printed.
 */
export async function discover(path: string, timeoutMs = 60_000): Promise<{ durationMs: number | null; raw: string }> {
  const lines: string[] = [];
  const r = await runProcess('gst-discoverer-1.0', [path], timeoutMs, (l) => lines.push(l));
  const raw = `${lines.join('\n')}\n${r.stderr}`;
  const m = /Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)/.exec(raw);
  const durationMs = m ? ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 : null;
  return { durationMs, raw };
}

export interface SyntheticTsOptions {
  frames: number;
  fps: number;
  codec?: TestCodec;
  /** Frames per GOP; the first frame of each GOP is a keyframe. Default: fps. */
  gop?: number;
  /** PTS of the first frame in 90 kHz ticks (may be near 2^33 to test the wrap). Default 0. */
  startPts?: number;
  /** Filler bytes per access unit (after the AUD and slice NAL headers). Default 2000. */
  frameBytes?: number;
  /** Write PES_packet_length when it fits (mpegtsmux does); default false = 0 (unbounded). */
  pesLength?: boolean;
  /** Set the adaptation-field random_access_indicator on keyframes; default true. */
  rai?: boolean;
  /** Write keyframes with an IDR/IRAP NAL type; default true (false: only the TS flag marks them). */
  nalKeyframes?: boolean;
  /** Decode order with one B-frame between references (PTS not monotonic in file order). */
  bFrames?: boolean;
}

const VIDEO_PID = 0x100;
const PMT_PID = 0x1000;

/**
 * Writes a structurally valid MPEG-TS file (PAT, PMT, one video PES per frame) whose payload is
 * AUD + one slice NAL header + filler: right for a demuxer, not decodable by a real decoder.
 */
export async function writeSyntheticTs(path: string, o: SyntheticTsOptions): Promise<void> {
  const codec = o.codec ?? 'h264';
  const gop = o.gop ?? o.fps;
  const step = 90_000 / o.fps;
  const filler = Buffer.alloc(o.frameBytes ?? 2000, 0xaa); // no 00 00 01 inside: no fake NALs
  const out = new PacketWriter(await fsp.open(path, 'w'));
  try {
    out.section(0, psiSection(0x00, 0x0001, [0x00, 0x01, 0xe0 | (PMT_PID >> 8), PMT_PID & 0xff]));
    const streamType = codec === 'h264' ? 0x1b : 0x24;
    out.section(PMT_PID, psiSection(0x02, 0x0001, [
      0xe0 | (VIDEO_PID >> 8), VIDEO_PID & 0xff, 0xf0, 0x00, // PCR_PID, program_info_length 0
      streamType, 0xe0 | (VIDEO_PID >> 8), VIDEO_PID & 0xff, 0xf0, 0x00,
    ]));
    for (let i = 0; i < o.frames; i++) {
      const inGop = i % gop;
      const key = inGop === 0;
      let display = inGop;
      if (o.bFrames && inGop > 0) display = inGop % 2 === 1 ? (inGop + 1 < gop ? inGop + 1 : inGop) : inGop - 1;
      const pts = ((o.startPts ?? 0) + Math.round((i - inGop + display) * step)) % 2 ** 33;
      const nalKey = key && o.nalKeyframes !== false;
      const nals = codec === 'h264'
        ? [0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, nalKey ? 0x65 : 0x41, 0x88]
        : [0, 0, 0, 1, 0x46, 0x01, 0x50, 0, 0, 0, 1, nalKey ? 0x26 : 0x02, 0x01, 0xaf];
      const es = Buffer.concat([Buffer.from(nals), filler]);
      const pesLen = o.pesLength && es.length + 8 <= 0xffff ? es.length + 8 : 0;
      const header = Buffer.from([0, 0, 1, 0xe0, pesLen >> 8, pesLen & 0xff, 0x80, 0x80, 5, ...encodePts(pts)]);
      out.pes(VIDEO_PID, Buffer.concat([header, es]), key && o.rai !== false);
      await out.flush(false);
    }
    await out.flush();
  } finally {
    await out.close();
  }
}

function encodePts(pts: number): number[] {
  const hi = Math.floor(pts / 2 ** 30) & 0x07;
  const lo = pts % 2 ** 30;
  return [0x21 | (hi << 1), (lo >> 22) & 0xff, (((lo >> 15) & 0x7f) << 1) | 1, (lo >> 7) & 0xff, ((lo & 0x7f) << 1) | 1];
}

function psiSection(tableId: number, idExt: number, body: number[]): Buffer {
  const len = 5 + body.length + 4; // after section_length: id ext, version, numbers, body, CRC
  const s = Buffer.from([tableId, 0xb0 | (len >> 8), len & 0xff, idExt >> 8, idExt & 0xff, 0xc1, 0, 0, ...body, 0, 0, 0, 0]);
  s.writeUInt32BE(crc32Mpeg2(s.subarray(0, s.length - 4)), s.length - 4);
  return s;
}

function crc32Mpeg2(buf: Buffer): number {
  let crc = 0xffffffff;
  for (const b of buf) {
    crc ^= b << 24;
    for (let k = 0; k < 8; k++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}

/** Packetizes into 188-byte packets with per-PID continuity counters, batching file writes. */
class PacketWriter {
  private buf = Buffer.alloc(188 * 6000);
  private used = 0;
  private readonly cc = new Map<number, number>();

  constructor(private readonly fh: fsp.FileHandle) {}

  section(pid: number, s: Buffer): void {
    this.pes(pid, Buffer.concat([Buffer.from([0]), s]), false); // pointer_field 0; fits one packet
  }

  pes(pid: number, data: Buffer, rai: boolean): void {
    const need = this.used + 188 * (Math.ceil((data.length + 2) / 182) + 1);
    if (need > this.buf.length) {
      const bigger = Buffer.alloc(need * 2);
      this.buf.copy(bigger, 0, 0, this.used);
      this.buf = bigger;
    }
    for (let off = 0, first = true; off < data.length || first; first = false) {
      const p = this.buf.subarray(this.used, this.used + 188);
      this.used += 188;
      const cc = this.cc.get(pid) ?? 0;
      this.cc.set(pid, (cc + 1) & 0x0f);
      const wantAf = first && rai;
      const n = Math.min(wantAf ? 182 : 184, data.length - off);
      const afLen = wantAf || n < 184 ? 183 - n : -1; // adaptation_field_length incl. stuffing
      p[0] = 0x47;
      p[1] = (first ? 0x40 : 0) | (pid >> 8);
      p[2] = pid & 0xff;
      p[3] = (afLen >= 0 ? 0x30 : 0x10) | cc;
      let w = 4;
      if (afLen >= 0) {
        p[w++] = afLen;
        if (afLen > 0) {
          p[w] = wantAf ? 0x40 : 0x00; // random_access_indicator
          p.fill(0xff, w + 1, 5 + afLen);
          w = 5 + afLen;
        }
      }
      data.copy(p, w, off, off + n);
      off += n;
    }
  }

  /** Writes out what is buffered once it is large enough (or always, with force). */
  async flush(force = true): Promise<void> {
    if (!force && this.used < 188 * 5000) return;
    await this.fh.write(this.buf, 0, this.used);
    this.used = 0;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}
