/**
 * A small GIF reader for tests: walks the blocks of a GIF89a file, and decodes frames (LZW, global or
 * local palette, no interlacing — what the viewer's exporter writes) into RGBA images, so tests can check
 * the pixels of an exported animation.
 */
import type { Image } from './png.js';

export interface GifFrame {
  left: number;
  top: number;
  width: number;
  height: number;
  /** Delay before the next frame, in milliseconds. */
  delayMs: number;
  image: Image;
}

export interface Gif {
  width: number;
  height: number;
  /** Netscape loop count (0 = forever), or null when the file has none. */
  loops: number | null;
  frames: GifFrame[];
}

function lzwDecode(minCodeSize: number, data: Uint8Array, pixels: number): Uint8Array {
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  const out = new Uint8Array(pixels);
  let dict: number[][] = [];
  let codeSize = minCodeSize + 1;
  const reset = () => {
    dict = Array.from({ length: clear + 2 }, (_, i) => (i < clear ? [i] : []));
    codeSize = minCodeSize + 1;
  };
  reset();
  let op = 0;
  let buf = 0;
  let bits = 0;
  let pos = 0;
  let prev: number[] | null = null;
  for (;;) {
    while (bits < codeSize && pos < data.length) {
      buf |= data[pos++] << bits;
      bits += 8;
    }
    if (bits < codeSize) break;
    const code = buf & ((1 << codeSize) - 1);
    buf >>>= codeSize;
    bits -= codeSize;
    if (code === clear) {
      reset();
      prev = null;
      continue;
    }
    if (code === end) break;
    let entry: number[];
    if (code < dict.length) entry = dict[code];
    else if (prev && code === dict.length) entry = [...prev, prev[0]];
    else throw new Error(`GIF: bad LZW code ${code} (dictionary has ${dict.length})`);
    for (const v of entry) if (op < pixels) out[op++] = v;
    if (prev && dict.length < 4096) {
      dict.push([...prev, entry[0]]);
      if (dict.length === 1 << codeSize && codeSize < 12) codeSize++;
    }
    prev = entry;
  }
  if (op !== pixels) throw new Error(`GIF: frame decoded to ${op} pixels, expected ${pixels}`);
  return out;
}

export function decodeGif(bytes: Uint8Array): Gif {
  const head = String.fromCharCode(...bytes.subarray(0, 6));
  if (head !== 'GIF89a' && head !== 'GIF87a') throw new Error(`not a GIF (header ${JSON.stringify(head)})`);
  const u16 = (p: number) => bytes[p] | (bytes[p + 1] << 8);
  const width = u16(6);
  const height = u16(8);
  const flags = bytes[10];
  let p = 13;
  let globalPalette: Uint8Array | null = null;
  if (flags & 0x80) {
    const n = 2 << (flags & 7);
    globalPalette = bytes.subarray(p, p + 3 * n);
    p += 3 * n;
  }
  const subBlocks = (): Uint8Array => {
    const parts: number[] = [];
    while (bytes[p] !== 0) {
      const n = bytes[p];
      for (let i = 1; i <= n; i++) parts.push(bytes[p + i]);
      p += n + 1;
    }
    p++;
    return Uint8Array.from(parts);
  };
  const gif: Gif = { width, height, loops: null, frames: [] };
  let delayMs = 0;
  while (p < bytes.length) {
    const b = bytes[p++];
    if (b === 0x3b) break;
    if (b === 0x21) {
      const label = bytes[p++];
      const body = subBlocks();
      if (label === 0xf9) delayMs = (body[1] | (body[2] << 8)) * 10;
      if (label === 0xff && String.fromCharCode(...body.subarray(0, 11)) === 'NETSCAPE2.0') gif.loops = body[12] | (body[13] << 8);
      continue;
    }
    if (b !== 0x2c) throw new Error(`GIF: unexpected block 0x${b.toString(16)} at byte ${p - 1}`);
    const left = u16(p);
    const top = u16(p + 2);
    const w = u16(p + 4);
    const h = u16(p + 6);
    const f = bytes[p + 8];
    p += 9;
    let palette = globalPalette;
    if (f & 0x80) {
      const n = 2 << (f & 7);
      palette = bytes.subarray(p, p + 3 * n);
      p += 3 * n;
    }
    if (f & 0x40) throw new Error('GIF: interlaced frames are not supported by this test reader');
    if (!palette) throw new Error('GIF: frame without a palette');
    const minCodeSize = bytes[p++];
    const indices = lzwDecode(minCodeSize, subBlocks(), w * h);
    const data = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) {
      data[4 * i] = palette[3 * indices[i]];
      data[4 * i + 1] = palette[3 * indices[i] + 1];
      data[4 * i + 2] = palette[3 * indices[i] + 2];
      data[4 * i + 3] = 255;
    }
    gif.frames.push({ left, top, width: w, height: h, delayMs, image: { width: w, height: h, data } });
  }
  return gif;
}
