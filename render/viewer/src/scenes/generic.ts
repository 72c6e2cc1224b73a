/**
 * The scene for an env the viewer has no drawing for (a user's env loaded with `--env-module`): it draws
 * whatever its `renderState()` holds, by shape:
 *   - numbers and booleans: a labelled table (`ballRow  3`);
 *   - a list of numbers (e.g. the observation, `obs: [...]`): bars, scaled by the largest magnitude the
 *     field reaches in the episode, so a bar's height means the same on every frame;
 *   - a grid of numbers (rows of values, or rows of [r, g, b]): an image, one square per cell; values in
 *     [0, 1] are read as intensities, larger ones as 0–255.
 * Anything else (strings, nested objects) is listed by name in the table.
 */
import { Container, Graphics, Text } from 'pixi.js';
import type { RenderState } from '../../../../envs/core.js';
import { frameAt, onResize, sceneText, type Scene, type SceneContext, type SceneProbe } from './scene.js';

export const GENERIC_COLORS = {
  background: 0xf7f7f4,
  panel: 0xffffff,
  border: 0xd8d8d0,
  positive: 0x2f7dd1,
  negative: 0xd1572f,
  axis: 0x9a9a90,
  text: 0x3b3b36,
} as const;

type Field = { key: string; shape: 'scalar' | 'other' } | { key: string; shape: 'bars'; scale: number } | { key: string; shape: 'image'; rows: number; cols: number; max: number };

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumberList = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every(isNumber);
const isPixel = (v: unknown): v is number[] => isNumberList(v) && (v.length === 3 || v.length === 4);
/** Rows of numbers, or rows of [r, g, b(, a)], all rows the same length. */
function isGrid(v: unknown): v is (number | number[])[][] {
  if (!Array.isArray(v) || v.length === 0 || !Array.isArray(v[0]) || v[0].length === 0) return false;
  const cols = v[0].length;
  return v.every((row) => Array.isArray(row) && row.length === cols && (row.every(isNumber) || row.every(isPixel)));
}

/** The drawable fields of an episode's frames, and the scale each keeps over the episode. */
export function genericFields(frames: RenderState[]): Field[] {
  const first = frames[0] ?? { kind: '' };
  const fields: Field[] = [];
  for (const [key, v] of Object.entries(first)) {
    if (key === 'kind') continue;
    if (isNumber(v) || typeof v === 'boolean') fields.push({ key, shape: 'scalar' });
    else if (isNumberList(v)) {
      let scale = 0;
      for (const f of frames) if (isNumberList(f[key])) for (const x of f[key] as number[]) scale = Math.max(scale, Math.abs(x));
      fields.push({ key, shape: 'bars', scale: scale || 1 });
    } else if (isGrid(v)) {
      let max = 0;
      for (const row of v) for (const cell of row) max = Math.max(max, ...(Array.isArray(cell) ? cell : [cell]));
      fields.push({ key, shape: 'image', rows: v.length, cols: v[0].length, max });
    } else fields.push({ key, shape: 'other' });
  }
  return fields;
}

/** True when the frames hold something this scene can draw (a number, a list or a grid of numbers). */
export function genericCanDraw(frames: RenderState[]): boolean {
  return genericFields(frames).some((f) => f.shape !== 'other');
}

function formatValue(v: unknown): string {
  if (isNumber(v)) return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.length} entries]`;
  return typeof v === 'string' ? v : v === null ? 'null' : typeof v;
}

function intensity(v: number, max: number): number {
  const x = max <= 1 ? v * 255 : v;
  return Math.max(0, Math.min(255, Math.round(x)));
}

export function genericScene(ctx: SceneContext, knownKinds: string[]): Scene {
  const first = ctx.frames[0] ?? { kind: '' };
  const kind = first.kind;
  const fields = genericFields(ctx.frames);
  const root = new Container();
  const background = new Graphics();
  const drawing = new Graphics();
  const caption = sceneText(GENERIC_COLORS.axis);
  caption.text = `No scene draws render kind '${kind}' (env ${ctx.replay.envId}): its render state, drawn by the generic scene. Scenes exist for: ${knownKinds.join(', ')}.`;
  const table = new Text({ text: '', style: { fontFamily: 'ui-monospace, monospace', fontSize: 13, fill: GENERIC_COLORS.text, lineHeight: 18 } });
  const labels = new Container();
  root.addChild(background, drawing, caption, table, labels);
  let size = { width: 0, height: 0 };
  let probe: SceneProbe = { kind, marker: null, generic: true, message: caption.text };

  const layout = onResize((width, height) => {
    size = { width, height };
    background.clear().rect(0, 0, width, height).fill(GENERIC_COLORS.background);
    caption.style.wordWrap = true;
    caption.style.wordWrapWidth = Math.max(120, width - 16);
    caption.position.set(8, 6);
  });

  return {
    kind,
    stepsPerSecond: 10,
    root,
    actionLabels: () => null,
    overlays: () => ({}),
    setOverlay: () => {},
    draw(frame, width, height) {
      layout(width, height);
      const s = frameAt(ctx, frame, first);
      const top = caption.height + 16;
      const tableFields = fields.filter((f) => f.shape === 'scalar' || f.shape === 'other');
      table.text = tableFields.map((f) => `${f.key.padEnd(Math.max(...tableFields.map((t) => t.key.length)))}  ${formatValue(s[f.key])}`).join('\n');
      table.position.set(12, top);
      const left = tableFields.length ? Math.min(width / 2, table.width + 36) : 12;
      const panels = fields.filter((f) => f.shape === 'bars' || f.shape === 'image');
      const g = drawing.clear();
      for (const l of labels.removeChildren()) l.destroy();
      const panelHeight = panels.length ? (size.height - top - 8) / panels.length : 0;
      const panelWidth = width - left - 12;
      const probed: Record<string, unknown> = {};
      panels.forEach((f, i) => {
        const y0 = top + i * panelHeight;
        const label = sceneText(GENERIC_COLORS.text);
        label.text = f.key;
        label.position.set(left, y0);
        labels.addChild(label);
        const area = { x: left, y: y0 + 18, w: panelWidth, h: Math.max(8, panelHeight - 26) };
        g.rect(area.x, area.y, area.w, area.h).fill(GENERIC_COLORS.panel).stroke({ width: 1, color: GENERIC_COLORS.border });
        const v = s[f.key];
        if (f.shape === 'bars' && isNumberList(v)) {
          const mid = area.y + area.h / 2;
          const slot = area.w / v.length;
          const bars: { x: number; y: number; h: number }[] = [];
          g.moveTo(area.x, mid).lineTo(area.x + area.w, mid).stroke({ width: 1, color: GENERIC_COLORS.axis });
          v.forEach((x, j) => {
            const h = (x / f.scale) * (area.h / 2 - 2);
            const bx = area.x + j * slot + slot * 0.15;
            g.rect(bx, h >= 0 ? mid - h : mid, slot * 0.7, Math.abs(h)).fill(x >= 0 ? GENERIC_COLORS.positive : GENERIC_COLORS.negative);
            bars.push({ x: bx + slot * 0.35, y: mid - h, h });
          });
          probed[f.key] = { shape: 'bars', bars };
        } else if (f.shape === 'image' && isGrid(v)) {
          const cell = Math.max(1, Math.floor(Math.min(area.w / f.cols, area.h / f.rows)));
          v.forEach((row, r) =>
            row.forEach((c, col) => {
              const [red, green, blue] = Array.isArray(c) ? c.map((x) => intensity(x, f.max)) : [intensity(c, f.max), intensity(c, f.max), intensity(c, f.max)];
              g.rect(area.x + col * cell, area.y + r * cell, cell, cell).fill((red << 16) | (green << 8) | blue);
            }),
          );
          probed[f.key] = { shape: 'image', origin: { x: area.x, y: area.y }, cell, rows: f.rows, cols: f.cols };
        }
      });
      probe = { kind, marker: null, generic: true, message: caption.text, table: table.text, ...probed };
    },
    probe: () => probe,
    destroy: () => root.destroy({ children: true }),
  };
}
