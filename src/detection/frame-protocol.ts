// Frames from a camera's tap to its detector over a Unix stream socket: a 24-byte header
// (magic, sequence, wall-clock time, width, height, length) then the RGB bytes. A stream
// socket rather than shmsink: either side may die and reconnect without the other noticing
// more than a closed connection, and the writer can see whether the reader keeps up.
export const FRAME_MAGIC = 0x56544150; // 'VTAP'
export const HEADER_BYTES = 24;
/** Upper bound on one frame (1920×1920 RGB): a corrupt length must not make us buffer forever. */
export const MAX_FRAME_BYTES = 1920 * 1920 * 3;

export interface FrameHeader {
  seq: number;
  /** Wall-clock ms when the camera process received the frame. */
  tsMs: number;
  width: number;
  height: number;
  length: number;
}

export function encodeHeader(h: FrameHeader): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  b.writeUInt32LE(FRAME_MAGIC, 0);
  b.writeUInt32LE(h.seq >>> 0, 4);
  b.writeDoubleLE(h.tsMs, 8);
  b.writeUInt16LE(h.width, 16);
  b.writeUInt16LE(h.height, 18);
  b.writeUInt32LE(h.length, 20);
  return b;
}

export interface Frame extends FrameHeader {
  data: Uint8Array;
}

/**
 * Reassembles frames from stream chunks. Only the newest complete frame matters to the
 * detector, but every frame is parsed so the stream stays in step; the caller drops stale ones.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private header: FrameHeader | null = null;

  /** Feeds a chunk; returns the frames it completed, oldest first. Throws on a corrupt stream. */
  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (!this.header) {
        if (this.buffered < HEADER_BYTES) break;
        const head = Buffer.from(this.take(HEADER_BYTES));
        if (head.readUInt32LE(0) !== FRAME_MAGIC) throw new Error('tap stream out of step: bad frame magic');
        const length = head.readUInt32LE(20);
        if (length > MAX_FRAME_BYTES) throw new Error(`tap frame of ${length} bytes exceeds ${MAX_FRAME_BYTES}`);
        this.header = { seq: head.readUInt32LE(4), tsMs: head.readDoubleLE(8), width: head.readUInt16LE(16), height: head.readUInt16LE(18), length };
      }
      if (this.buffered < this.header.length) break;
      frames.push({ ...this.header, data: this.take(this.header.length) });
      this.header = null;
    }
    return frames;
  }

  /**
   * The next n bytes, copied once into their own ArrayBuffer (never Node's shared Buffer pool):
   * a frame is transferred to the inference worker, which detaches the buffer it gets.
   */
  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0] as Buffer;
      const used = Math.min(chunk.length, n - filled);
      out.set(chunk.subarray(0, used), filled);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    this.buffered -= n;
    return out;
  }
}
