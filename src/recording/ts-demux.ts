// Packet-level MPEG-TS parsing for the segment probe: PAT -> PMT -> first video elementary
// stream, PES reassembly and a small NAL scan for keyframes. It works on one 188-byte packet
// at a time and keeps only per-PES bookkeeping (never the payload), so memory stays constant
// however large the segment is. File I/O, sync checks and the summary live in ts-probe.ts.

export const TS_PACKET_SIZE = 188;
export const TS_SYNC_BYTE = 0x47;

export type VideoCodec = 'h264' | 'h265';

/** PMT stream_type values that carry video. Only H.264/H.265 get a codec name and a NAL scan. */
const VIDEO_STREAM_TYPES = new Set([0x01, 0x02, 0x10, 0x1b, 0x24, 0x42, 0xd1, 0xea]);
const CODEC_BY_STREAM_TYPE: ReadonlyMap<number, VideoCodec> = new Map([[0x1b, 'h264'], [0x24, 'h265']]);

/** The first VCL NAL of an access unit sits behind AUD/SPS/PPS/SEI (x264's SEI alone is ~700 B);
 *  if none shows up within this many payload bytes, stop scanning and rely on the TS flag. */
const NAL_SCAN_LIMIT = 64 * 1024;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32/MPEG-2 over a whole PSI section including its CRC field: 0 when intact. Checking it
 *  keeps random bytes that happen to look like packets from being taken for a PAT/PMT. */
function crc32Mpeg2(buf: Buffer): number {
  let crc = 0xffffffff;
  for (const b of buf) crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ b) & 0xff] ?? 0)) >>> 0;
  return crc;
}

/** Collects one PSI section (PAT or PMT) that may span packets. Only the first section starting
 *  in a packet is read: PAT/PMT from a one-program camera stream are single short sections. */
class SectionAssembler {
  private buf: Buffer | null = null;
  private filled = 0;

  push(payload: Buffer, unitStart: boolean): Buffer | null {
    let data = payload;
    if (unitStart) {
      const pointer = data[0] ?? 0;
      data = data.subarray(1 + pointer);
      if (data.length < 3) return null;
      const total = 3 + ((((data[1] ?? 0) & 0x0f) << 8) | (data[2] ?? 0));
      this.buf = Buffer.alloc(total);
      this.filled = 0;
    }
    if (!this.buf) return null;
    const n = Math.min(data.length, this.buf.length - this.filled);
    data.copy(this.buf, this.filled, 0, n);
    this.filled += n;
    if (this.filled < this.buf.length) return null;
    const section = this.buf;
    this.buf = null;
    return section.length >= 12 && crc32Mpeg2(section) === 0 ? section : null;
  }
}

/** State of the video PES being reassembled. Payload bytes are counted, not stored. */
interface Pes {
  header: Buffer; // 9 fixed bytes + up to 255 optional header bytes
  headerLen: number;
  headerNeed: number; // 9 until header_data_length is known, then 9 + that length
  valid: boolean;
  packetLength: number; // PES_packet_length; 0 = unbounded (usual for video)
  received: number; // PES bytes seen so far, counting from the start code
  payloadBytes: number;
  pts: number | null;
  rai: boolean;
  nalKey: boolean;
  scanning: boolean;
  scanned: number;
  zeros: number; // consecutive 0x00 bytes before the scan position (start codes span packets)
  wantNalHeader: boolean;
}

/** What the program tables said, as far as they were found. */
export interface DemuxStreamInfo {
  patFound: boolean;
  pmtFound: boolean;
  videoPid: number | null;
  streamType: number | null;
  codec: VideoCodec | null;
}

/** One complete video access unit (PES packet). `pts` is the raw 33-bit 90 kHz value. */
export interface AccessUnit { pts: number | null; key: boolean }

export class TsVideoDemuxer {
  readonly stats: DemuxStreamInfo = { patFound: false, pmtFound: false, videoPid: null, streamType: null, codec: null };
  private pmtPid: number | null = null;
  private readonly pat = new SectionAssembler();
  private readonly pmt = new SectionAssembler();
  private pes: Pes | null = null;
  /** A random_access_indicator applies to the next PES that starts on the PID (ISO 13818-1). */
  private pendingRai = false;

  constructor(private readonly onAccessUnit: (au: AccessUnit) => void) {}

  /** Parses one packet; `buf[off]` is its (already checked) sync byte. */
  push(buf: Buffer, off: number): void {
    const b1 = buf[off + 1] ?? 0;
    const b3 = buf[off + 3] ?? 0;
    const pid = ((b1 & 0x1f) << 8) | (buf[off + 2] ?? 0);
    const unitStart = (b1 & 0x40) !== 0;
    const afc = (b3 >> 4) & 0x03;
    if (pid === 0x1fff || afc === 0) return; // null packet / reserved adaptation_field_control
    const isVideo = pid === this.stats.videoPid;
    const isPsi = !this.stats.pmtFound && (pid === 0 || pid === this.pmtPid);
    if (!isVideo && !isPsi) return;

    let p = off + 4;
    const end = off + TS_PACKET_SIZE;
    if (afc & 0x02) {
      const afLen = buf[p] ?? 0;
      if (afLen > 183) return; // malformed packet: nothing in it can be trusted
      if (isVideo && afLen > 0 && ((buf[p + 1] ?? 0) & 0x40) !== 0) this.pendingRai = true;
      p += 1 + afLen;
    }
    if (!(afc & 0x01) || p >= end) return;
    const payload = buf.subarray(p, end);

    if (isVideo) this.pushVideo(payload, unitStart);
    else if ((b1 & 0x80) === 0) this.pushPsi(pid, payload, unitStart); // skip transport_error packets
  }

  /**
   * Called once at end of input. Completeness rule for the LAST access unit (every earlier one is
   * complete because the next PES start was seen): a PES with a known PES_packet_length was
   * closed when its last byte arrived, so one still open here was cut short. One with length 0
   * (unbounded, usual for big video frames) has no end marker but the next PES start, so it is
   * counted only if the file ended cleanly on a packet boundary, and dropped otherwise. A decoder
   * would still decode most of a cut frame, so the probe may report one frame fewer than a decode
   * but never more: callers use `frames` as a guaranteed-playable count. (A cut that happens to
   * fall on a packet boundary inside an unbounded PES cannot be seen and is counted; decoders
   * output that partial frame too.) Returns true when an unfinished PES was dropped.
   */
  finish(endedCleanly: boolean): boolean {
    const pes = this.pes;
    this.pes = null;
    if (!pes) return false;
    if (endedCleanly && pes.packetLength === 0) {
      this.complete(pes);
      return false;
    }
    return true;
  }

  private pushPsi(pid: number, payload: Buffer, unitStart: boolean): void {
    if (pid === 0) {
      const s = this.pat.push(payload, unitStart);
      if (s && s[0] === 0x00) this.parsePat(s);
    } else {
      const s = this.pmt.push(payload, unitStart);
      if (s && s[0] === 0x02) this.parsePmt(s);
    }
  }

  private parsePat(s: Buffer): void {
    const end = s.length - 4; // CRC
    for (let i = 8; i + 4 <= end; i += 4) {
      const program = s.readUInt16BE(i);
      if (program === 0) continue; // network_PID, not a program
      this.stats.patFound = true;
      this.pmtPid = s.readUInt16BE(i + 2) & 0x1fff;
      return; // vigil segments carry one program
    }
  }

  private parsePmt(s: Buffer): void {
    const end = s.length - 4;
    let i = 12 + (s.readUInt16BE(10) & 0x0fff); // skip program_info descriptors
    this.stats.pmtFound = true;
    while (i + 5 <= end) {
      const streamType = s[i] ?? 0;
      const pid = s.readUInt16BE(i + 1) & 0x1fff;
      if (VIDEO_STREAM_TYPES.has(streamType)) {
        this.stats.videoPid = pid;
        this.stats.streamType = streamType;
        this.stats.codec = CODEC_BY_STREAM_TYPE.get(streamType) ?? null;
        return;
      }
      i += 5 + (s.readUInt16BE(i + 3) & 0x0fff);
    }
  }

  private pushVideo(payload: Buffer, unitStart: boolean): void {
    if (unitStart) {
      // The previous access unit ends where the next one starts: it is complete.
      if (this.pes) this.complete(this.pes);
      this.pes = this.newPes();
    }
    const pes = this.pes;
    if (!pes) return; // continuation of a PES whose start we never saw (or already closed)
    let data = payload;
    if (pes.packetLength > 0) data = data.subarray(0, 6 + pes.packetLength - pes.received);
    pes.received += data.length;

    if (pes.headerLen < pes.headerNeed) {
      // Two steps: the 9 fixed bytes give header_data_length, then the optional fields follow.
      // Either step may straddle a packet boundary when an adaptation field fills the packet.
      while (pes.valid && pes.headerLen < pes.headerNeed && data.length > 0) {
        const n = Math.min(data.length, pes.headerNeed - pes.headerLen);
        data.copy(pes.header, pes.headerLen, 0, n);
        pes.headerLen += n;
        data = data.subarray(n);
        if (pes.headerLen === 9) this.parsePesFixedHeader(pes);
      }
      if (pes.headerLen < pes.headerNeed) return;
      this.parsePesTimestamps(pes);
    }
    if (!pes.valid) return;
    pes.payloadBytes += data.length;
    if (pes.scanning) this.scanNal(pes, data);
    if (pes.packetLength > 0 && pes.received >= 6 + pes.packetLength) {
      this.complete(pes);
      this.pes = null;
    }
  }

  private newPes(): Pes {
    const rai = this.pendingRai;
    this.pendingRai = false;
    return {
      header: Buffer.alloc(9 + 255), headerLen: 0, headerNeed: 9, valid: true, packetLength: 0,
      received: 0, payloadBytes: 0, pts: null, rai, nalKey: false,
      scanning: this.stats.codec !== null, scanned: 0, zeros: 0, wantNalHeader: false,
    };
  }

  private parsePesFixedHeader(pes: Pes): void {
    const h = pes.header;
    // A bad start code means the demuxer of any player drops this PES too: never count it.
    if (h[0] !== 0 || h[1] !== 0 || h[2] !== 1 || ((h[6] ?? 0) & 0xc0) !== 0x80) {
      pes.valid = false;
      pes.headerNeed = 9;
      return;
    }
    pes.packetLength = h.readUInt16BE(4);
    pes.headerNeed = 9 + (h[8] ?? 0);
  }

  /** PTS_DTS_flags: 0b10 = PTS only, 0b11 = PTS + DTS. DTS follows the PTS and is skipped
   *  through header_data_length: duration and keyframe offsets are display-order, PTS based. */
  private parsePesTimestamps(pes: Pes): void {
    if (!pes.valid) return;
    const h = pes.header;
    if (((h[7] ?? 0) & 0x80) !== 0 && pes.headerNeed >= 14) pes.pts = readTimestamp(h, 9);
  }

  /** Incremental Annex-B start-code scan up to the first VCL NAL of the access unit. */
  private scanNal(pes: Pes, data: Buffer): void {
    const n = Math.min(data.length, NAL_SCAN_LIMIT - pes.scanned);
    const h265 = this.stats.codec === 'h265';
    let zeros = pes.zeros;
    for (let i = 0; i < n; i++) {
      const b = data[i] ?? 0;
      if (pes.wantNalHeader) {
        pes.wantNalHeader = false;
        const type = h265 ? (b >> 1) & 0x3f : b & 0x1f;
        const vcl = h265 ? type < 32 : type >= 1 && type <= 5;
        if (vcl) {
          // H.264: 5 = IDR. H.265: 16..23 = IRAP (BLA, IDR, CRA and reserved IRAP types).
          pes.nalKey = h265 ? type >= 16 && type <= 23 : type === 5;
          pes.scanning = false;
          return;
        }
      }
      if (b === 0) zeros++;
      else {
        if (b === 1 && zeros >= 2) pes.wantNalHeader = true;
        zeros = 0;
      }
    }
    pes.zeros = zeros;
    pes.scanned += n;
    if (pes.scanned >= NAL_SCAN_LIMIT) pes.scanning = false;
  }

  /** Either signal marks a keyframe: the muxer's flag covers codecs without a NAL scan, the
   *  NAL type covers muxers that do not set the flag. */
  private complete(pes: Pes): void {
    if (!pes.valid || pes.headerLen < pes.headerNeed || pes.payloadBytes === 0) return;
    this.onAccessUnit({ pts: pes.pts, key: pes.rai || pes.nalKey });
  }
}

/** Reads a 33-bit PES timestamp (5 bytes with marker bits). Arithmetic, not bit ops, for bit 32. */
function readTimestamp(h: Buffer, i: number): number {
  const b0 = h[i] ?? 0, b1 = h[i + 1] ?? 0, b2 = h[i + 2] ?? 0, b3 = h[i + 3] ?? 0, b4 = h[i + 4] ?? 0;
  return ((b0 >> 1) & 0x07) * 2 ** 30 + b1 * 2 ** 22 + (b2 >> 1) * 2 ** 15 + b3 * 2 ** 7 + (b4 >> 1);
}
