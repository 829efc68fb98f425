// JPEG snapshots of an object's best frame. The tap frame is letterboxed; only the picture
// (without borders) is saved. Written to a temporary name and renamed, so a reader or a power
// cut never sees half a JPEG.
import fs from 'node:fs';
import path from 'node:path';
import jpeg from 'jpeg-js';
import type { Letterbox } from './letterbox';

export function encodeSnapshot(rgb: Uint8Array, lb: Letterbox, quality = 80): Buffer {
  const x0 = Math.round(lb.padX);
  const y0 = Math.round(lb.padY);
  const w = Math.max(1, Math.min(lb.input - x0, Math.round(lb.contentW)));
  const h = Math.max(1, Math.min(lb.input - y0, Math.round(lb.contentH)));
  const rgba = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) {
    let src = ((y0 + y) * lb.input + x0) * 3;
    let dst = y * w * 4;
    for (let x = 0; x < w; x++, src += 3, dst += 4) {
      rgba[dst] = rgb[src] as number;
      rgba[dst + 1] = rgb[src + 1] as number;
      rgba[dst + 2] = rgb[src + 2] as number;
      rgba[dst + 3] = 255;
    }
  }
  return jpeg.encode({ data: rgba, width: w, height: h }, quality).data;
}

export function writeSnapshot(file: string, jpegBytes: Buffer): number {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, jpegBytes);
  fs.renameSync(tmp, file);
  return jpegBytes.length;
}
