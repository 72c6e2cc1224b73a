/**
 * Exports from the replay viewer, made in the page: the current frame as a PNG, and an episode as an
 * animated GIF (gifenc: one palette from a few sample frames, then LZW per frame), either of them with the
 * HUD drawn under the picture when asked (step, action, reward, return and the action's Q-values or
 * probabilities). Nothing goes to the server, which stays read-only.
 */
import { applyPalette, GIFEncoder, quantize } from 'gifenc';
import type { ReplayFile } from '../../../formats/replay-format.js';
import { formatNumber } from './hud.js';
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

const HUD_LINE = 18;
const BAR_ROW = 15;

/**
 * `picture` with the HUD of `frame` drawn in a strip under it: the step, the action that led to this frame,
 * its reward and the return so far, and — when the replay has them — the Q-values or probabilities that
 * action was chosen from, as bars with it highlighted (the viewer's convention).
 */
export function withHud(picture: HTMLCanvasElement, replay: ReplayFile, frame: number, labels: string[] | null, into?: HTMLCanvasElement): HTMLCanvasElement {
  const f = Math.min(frame, replay.length);
  const last = f > 0 ? replay.steps[f - 1] : null;
  const values = last?.qValues ?? last?.probs ?? null;
  const scale = Math.max(1, picture.width / 480);
  const strip = Math.round((HUD_LINE + 10 + (values ? values.length * BAR_ROW + 4 : 0)) * scale);
  const out = into ?? document.createElement('canvas');
  if (out.width !== picture.width || out.height !== picture.height + strip) {
    out.width = picture.width;
    out.height = picture.height + strip;
  }
  const ctx = out.getContext('2d', { willReadFrequently: true })!;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(picture, 0, 0);
  ctx.save();
  ctx.translate(0, picture.height);
  ctx.scale(scale, scale);
  const width = out.width / scale;
  const start = replay.actionSpace.type === 'Discrete' ? replay.actionSpace.start : 0;
  const name = (a: number | number[]) => (Array.isArray(a) ? `[${a.map((v) => formatNumber(v)).join(', ')}]` : labels?.[a - start] ? `${labels[a - start]} (${a})` : String(a));
  let ret = 0;
  for (let i = 0; i < f; i++) ret += replay.steps[i].reward;
  ctx.fillStyle = '#24262b';
  ctx.font = '12px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.fillText(`step ${f} / ${replay.length} · action ${last ? name(last.action) : '— (reset)'} · reward ${last ? formatNumber(last.reward) : '—'} · return ${formatNumber(ret)}`, 8, 6 + HUD_LINE / 2);
  if (last && values) {
    const isQ = last.qValues !== undefined;
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const floor = isQ ? (hi > 0 ? Math.min(0, lo) : 2 * lo) : 0;
    const span = (isQ ? hi : 1) - floor || 1;
    const chosen = typeof last.action === 'number' ? last.action - start : -1;
    const trackX = 96;
    const trackW = Math.max(40, width - trackX - 70);
    values.forEach((v, i) => {
      const y = 6 + HUD_LINE + 4 + i * BAR_ROW;
      ctx.fillStyle = i === chosen ? '#24262b' : '#6b6f78';
      ctx.font = `${i === chosen ? 'bold ' : ''}11px system-ui, sans-serif`;
      ctx.fillText(labels?.[i] ?? String(i + start), 8, y + BAR_ROW / 2);
      ctx.fillStyle = '#eeeae0';
      ctx.fillRect(trackX, y + 3, trackW, BAR_ROW - 6);
      ctx.fillStyle = i === chosen ? '#1c7ed6' : '#9aa7b8';
      ctx.fillRect(trackX, y + 3, Math.max(2, Math.min(1, (v - floor) / span) * trackW), BAR_ROW - 6);
      ctx.fillStyle = '#24262b';
      ctx.fillText(formatNumber(v), trackX + trackW + 8, y + BAR_ROW / 2);
    });
  }
  ctx.restore();
  return out;
}

/** The pane's picture at `frame` as PNG bytes (full canvas resolution), with the HUD under it when asked. */
export async function framePng(pane: Pane, frame: number, hud = false): Promise<Blob> {
  const grabbed = pane.grab(frame);
  const canvas = hud && pane.replay ? withHud(grabbed, pane.replay, frame, pane.scene?.actionLabels() ?? null) : grabbed;
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
  /** Draw the HUD under each frame (see {@link withHud}). */
  hud?: boolean;
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
    const labels = copy.scene?.actionLabels() ?? null;
    const picture = document.createElement('canvas');
    const grab = (f: number, into?: HTMLCanvasElement) => {
      const c = opts.hud ? withHud(copy.grab(f, Infinity, picture), replay, f, labels, into) : copy.grab(f, Infinity, into);
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
