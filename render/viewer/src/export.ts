/**
 * Exports from the replay viewer, made in the page: the current frame as a PNG, and an episode as an
 * animated GIF (gifenc: one palette from a few sample frames, then LZW per frame). Nothing goes to the
 * server, which stays read-only.
 */
import { applyPalette, GIFEncoder, quantize } from 'gifenc';
import { Pane } from './pane.js';
import { gifSchedule } from './playback.js';

/** Saves `blob` as a download named `name`. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A file-name-safe version of a run/episode path. */
export function fileStem(run: string, path: string): string {
  return `${run}__${path.replace(/\.json(\.gz)?$/, '')}`.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** The pane's picture at `frame` as PNG bytes (full canvas resolution). */
export async function framePng(pane: Pane, frame: number): Promise<Blob> {
  const canvas = pane.grab(frame);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser could not encode the PNG'))), 'image/png'));
}

export interface GifOptions {
  /** Frames from 0 to this (inclusive); the pane's episode length by default. */
  lastFrame?: number;
  /** Width of the GIF in pixels at most (the canvas is scaled down); default 480. */
  maxWidth?: number;
  /** Env steps per second of the animation; default the scene's real-time rate. */
  stepsPerSecond?: number;
  /** At most this many frames: longer or faster episodes keep every k-th frame (and the last); default 600. */
  maxFrames?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * An off-screen copy of `pane` drawn by pixi's canvas 2D renderer at `width` CSS pixels: reading pixels
 * back from a 2D canvas is cheap, while every read of a WebGL canvas waits for the GPU (about 200 ms a
 * frame under a software GL such as SwiftShader).
 */
async function exportPane(pane: Pane, width: number): Promise<Pane> {
  const { replay, selection } = pane;
  if (!replay || !selection) throw new Error('no episode to export');
  const copy = new Pane('export');
  await copy.init(['canvas'], 1);
  const { width: w, height: h } = pane.size;
  copy.setFixedSize(width, Math.round((width * h) / Math.max(1, w)));
  copy.setEpisode(selection, pane.title, replay, pane.values, pane.entry);
  // The same overlay as on screen.
  const shown = pane.scene?.overlays() ?? {};
  for (const [name, on] of Object.entries(shown)) copy.scene?.setOverlay(name, on);
  return copy;
}

/** The episode in `pane` as an animated GIF, looping forever. The pane itself is not touched. */
export async function episodeGif(pane: Pane, opts: GifOptions = {}): Promise<{ blob: Blob; frames: number; width: number; height: number; drawMs: number; encodeMs: number }> {
  const replay = pane.replay;
  if (!replay) throw new Error('no episode to export');
  const last = Math.min(opts.lastFrame ?? replay.length, replay.length);
  const sps = opts.stepsPerSecond ?? pane.scene?.stepsPerSecond ?? 30;
  const { frames, delays } = gifSchedule(last, sps, opts.maxFrames ?? 600);
  const copy = await exportPane(pane, Math.min(opts.maxWidth ?? 480, Math.max(1, pane.size.width)));
  try {
    const grab = (f: number, into?: HTMLCanvasElement) => {
      const c = copy.grab(f, Infinity, into);
      return { c, data: c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data };
    };
    // One palette for the whole animation, from the first, middle and last frames together.
    const samples = [0, Math.floor(last / 2), last].map((f) => grab(f).data);
    const joined = new Uint8ClampedArray(samples.reduce((n, d) => n + d.length, 0));
    let at = 0;
    for (const d of samples) {
      joined.set(d, at);
      at += d.length;
    }
    const palette = quantize(joined, 256);
    const gif = GIFEncoder();
    const canvas = document.createElement('canvas');
    let width = 0;
    let height = 0;
    let drawMs = 0;
    let encodeMs = 0;
    for (let i = 0; i < frames.length; i++) {
      const t0 = performance.now();
      const { c, data } = grab(frames[i], canvas);
      width = c.width;
      height = c.height;
      const t1 = performance.now();
      // The last frame stays up a second before the loop starts again.
      gif.writeFrame(applyPalette(data, palette), width, height, { palette, delay: i === frames.length - 1 ? Math.max(delays[i], 1000) : delays[i], repeat: 0 });
      drawMs += t1 - t0;
      encodeMs += performance.now() - t1;
      if (i % 8 === 7) {
        opts.onProgress?.(i + 1, frames.length);
        await new Promise((r) => setTimeout(r, 0)); // keep the page responsive
      }
    }
    gif.finish();
    opts.onProgress?.(frames.length, frames.length);
    return { blob: new Blob([gif.bytes() as BlobPart], { type: 'image/gif' }), frames: frames.length, width, height, drawMs: Math.round(drawMs), encodeMs: Math.round(encodeMs) };
  } finally {
    copy.destroy();
  }
}
