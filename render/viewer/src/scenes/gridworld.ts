/**
 * Gridworld: tiles from the ASCII map (`cells`), coloured by the cell kinds of the state's `legend` (or by
 * the default legend characters), the agent and its recent path, and optionally the run's value/policy
 * overlay from `values.json`. Render state: GridWorldRenderState (envs/gridworld.ts); `rows, cols, cells,
 * agent` are needed; without `legend` the default legend characters are used.
 */
import { Container, Graphics, Text } from 'pixi.js';
import type { RenderState } from '../../../../envs/core.js';
import { hex, num, type Scene, type SceneContext, type SceneProbe } from './scene.js';

export const GRID_COLORS = {
  background: 0xece7db,
  floor: 0xf7f4ec,
  wall: 0x3b3f4a,
  start: 0xcfe3fa,
  goal: 0x8fd19e,
  terminal: 0xb9c7b1,
  pit: 0xe07a5f,
  cliff: 0xc44536,
  teleport: 0xffd166,
  gridLine: 0xd6cfbf,
  agent: 0x7b2ff7,
  text: 0x2f2f2f,
  arrow: 0x1f2a44,
} as const;

type CellKind = 'floor' | 'wall' | 'start' | 'goal' | 'terminal' | 'pit' | 'cliff' | 'teleport' | 'unknown';

interface LegendSpec {
  kind?: string;
  reward?: number;
  terminal?: boolean;
  to?: string;
}

const DEFAULT_CHARS: Record<string, CellKind> = {
  '.': 'floor',
  '#': 'wall',
  S: 'start',
  G: 'goal',
  T: 'terminal',
  X: 'pit',
  P: 'pit',
  C: 'cliff',
  A: 'teleport',
  B: 'teleport',
};

const DIRECTIONS: Record<string, [number, number]> = { up: [0, -1], right: [1, 0], down: [0, 1], left: [-1, 0] };
const DEFAULT_ACTIONS = ['up', 'right', 'down', 'left'];
const TRAIL_FRAMES = 24;

function cellKind(ch: string, legend: Record<string, LegendSpec>): CellKind {
  const spec = legend[ch];
  if (spec?.kind) {
    switch (spec.kind) {
      case 'floor':
      case 'wall':
      case 'start':
      case 'teleport':
        return spec.kind;
      case 'terminal':
        return ch === 'G' || (spec.reward ?? 0) > 0 ? 'goal' : 'terminal';
      case 'pit':
        return spec.terminal ? 'pit' : 'cliff';
    }
  }
  if (DEFAULT_CHARS[ch]) return DEFAULT_CHARS[ch];
  if (/^[a-z]$/.test(ch)) return 'floor';
  return 'unknown';
}

const FILL: Record<CellKind, number> = {
  floor: GRID_COLORS.floor,
  unknown: GRID_COLORS.floor,
  wall: GRID_COLORS.wall,
  start: GRID_COLORS.start,
  goal: GRID_COLORS.goal,
  terminal: GRID_COLORS.terminal,
  pit: GRID_COLORS.pit,
  cliff: GRID_COLORS.cliff,
  teleport: GRID_COLORS.teleport,
};

/** The map rows of a render state, tolerating a few spellings. */
function mapOf(s: RenderState): string[] {
  const v = s.cells ?? s.map ?? s.grid;
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string') return v.split('\n').map((l) => l.trim()).filter(Boolean);
  return [];
}

function agentOf(s: RenderState, cols: number): [number, number] | null {
  const a = s.agent;
  if (Array.isArray(a) && a.length >= 2 && a.every((v) => typeof v === 'number')) return a[0] >= 0 && a[1] >= 0 ? [a[0], a[1]] : null;
  if (a && typeof a === 'object' && 'row' in a && 'col' in a) return [num((a as { row: unknown }).row, -1), num((a as { col: unknown }).col, -1)];
  if (typeof a === 'number' && cols > 0) return [Math.floor(a / cols), a % cols];
  return null;
}

export function gridWorldScene(ctx: SceneContext): Scene {
  const root = new Container();
  const tiles = new Graphics();
  const labels = new Container();
  const overlay = new Graphics();
  const overlayLabels = new Container();
  const trail = new Graphics();
  const agent = new Graphics();
  root.addChild(tiles, overlay, labels, overlayLabels, trail, agent);

  const first = ctx.frames[0] ?? { kind: 'gridworld' };
  const cells = mapOf(first);
  const rows = cells.length || num(first.rows, 0);
  const cols = cells[0]?.length ?? num(first.cols, 0);
  const legend = (first.legend && typeof first.legend === 'object' ? first.legend : {}) as Record<string, LegendSpec>;
  const actions = Array.isArray(first.actions) && first.actions.every((a) => typeof a === 'string') ? (first.actions as string[]) : DEFAULT_ACTIONS;
  const kinds: CellKind[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) kinds.push(cellKind(cells[r]?.[c] ?? '.', legend));

  // values.json is indexed by state: every cell the agent can stand in, row-major (or, if it has one entry per
  // cell, by cell). It may hold several overlays (e.g. the exact optimal values and the agent's own); one is
  // shown at a time. An overlay that does not fit this map is not drawn, and the pane says why.
  const standable = kinds.map((k) => k !== 'wall' && k !== 'cliff');
  const nStates = standable.filter(Boolean).length;
  const candidates = ctx.values ? (ctx.values.overlays?.length ? ctx.values.overlays : [{ name: 'values & policy', values: ctx.values.values, policy: ctx.values.policy }]) : [];
  const overlaySets: { name: string; values: number[]; policy: number[]; index: Int32Array }[] = [];
  const problems: string[] = [];
  for (const set of candidates) {
    const index = new Int32Array(rows * cols).fill(-1);
    if (set.values.length === rows * cols) {
      for (let i = 0; i < rows * cols; i++) index[i] = i;
    } else if (set.values.length === nStates) {
      let k = 0;
      for (let i = 0; i < rows * cols; i++) if (standable[i]) index[i] = k++;
    } else {
      problems.push(`values.json overlay "${set.name}" has ${set.values.length} values; this map has ${nStates} states (${rows * cols} cells), so it is not drawn`);
      continue;
    }
    overlaySets.push({ ...set, index });
  }
  const overlayNote = problems.length ? problems.join('; ') : null;
  /** The overlay shown (index into overlaySets), -1 for none. */
  let active = overlaySets.length ? 0 : -1;

  let layoutKey = '';
  let tile = 32;
  let ox = 0;
  let oy = 0;
  let probe: SceneProbe = { kind: 'gridworld', marker: null };
  const textStyle = (size: number, fill: number) => ({ fontFamily: 'system-ui, sans-serif', fontSize: size, fill, fontWeight: '600' as const });

  function layout(width: number, height: number): void {
    const key = `${width}x${height}:${active}`;
    if (key === layoutKey) return;
    layoutKey = key;
    tile = Math.max(4, Math.floor(Math.min((width - 16) / Math.max(1, cols), (height - 16) / Math.max(1, rows))));
    ox = Math.round((width - tile * cols) / 2);
    oy = Math.round((height - tile * rows) / 2);
    tiles.clear();
    tiles.rect(0, 0, width, height).fill(GRID_COLORS.background);
    for (const child of labels.removeChildren()) child.destroy();
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const k = kinds[r * cols + c];
        tiles.rect(ox + c * tile, oy + r * tile, tile, tile).fill(FILL[k]);
        const ch = cells[r]?.[c] ?? '.';
        if (ch !== '.' && ch !== '#' && tile >= 14) {
          const t = new Text({ text: ch, style: textStyle(Math.round(tile * 0.4), k === 'wall' || k === 'cliff' ? 0xffffff : GRID_COLORS.text) });
          t.alpha = 0.75;
          t.anchor.set(0, 0);
          t.position.set(ox + c * tile + 3, oy + r * tile + 1);
          labels.addChild(t);
        }
      }
    }
    for (let r = 0; r <= rows; r++) tiles.moveTo(ox, oy + r * tile).lineTo(ox + cols * tile, oy + r * tile);
    for (let c = 0; c <= cols; c++) tiles.moveTo(ox + c * tile, oy).lineTo(ox + c * tile, oy + rows * tile);
    tiles.stroke({ width: 1, color: GRID_COLORS.gridLine });
    // Teleports: a faint line from each teleport to its destination.
    for (const [ch, spec] of Object.entries(legend)) {
      if (spec.kind !== 'teleport' || !spec.to) continue;
      const from = findChar(ch);
      const to = findChar(spec.to);
      if (from && to) {
        tiles.moveTo(ox + (from[1] + 0.5) * tile, oy + (from[0] + 0.5) * tile).lineTo(ox + (to[1] + 0.5) * tile, oy + (to[0] + 0.5) * tile).stroke({ width: 2, color: 0xb08900, alpha: 0.6 });
      }
    }
    drawOverlay();
  }

  function findChar(ch: string): [number, number] | null {
    for (let r = 0; r < rows; r++) {
      const c = cells[r]?.indexOf(ch) ?? -1;
      if (c >= 0) return [r, c];
    }
    return null;
  }

  function drawOverlay(): void {
    overlay.clear();
    for (const child of overlayLabels.removeChildren()) child.destroy();
    const values = overlaySets[active];
    if (!values) return;
    const cellToValueIndex = values.index;
    let maxAbs = 1e-9;
    for (let i = 0; i < rows * cols; i++) {
      const vi = cellToValueIndex[i];
      if (vi >= 0 && Number.isFinite(values.values[vi])) maxAbs = Math.max(maxAbs, Math.abs(values.values[vi]));
    }
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        const vi = cellToValueIndex[i];
        if (vi < 0 || kinds[i] === 'wall') continue;
        const v = values.values[vi];
        if (typeof v !== 'number' || !Number.isFinite(v)) continue;
        const x = ox + c * tile;
        const y = oy + r * tile;
        const u = v / maxAbs; // -1 … 1: red for low, green for high
        overlay.rect(x + 1, y + 1, tile - 2, tile - 2).fill({ color: u >= 0 ? 0x2b9348 : 0xd62828, alpha: 0.1 + 0.45 * Math.abs(u) });
        if (tile >= 26) {
          const t = new Text({ text: formatValue(v), style: textStyle(Math.max(8, Math.round(tile * 0.22)), GRID_COLORS.text) });
          t.anchor.set(1, 1);
          t.position.set(x + tile - 2, y + tile - 1);
          overlayLabels.addChild(t);
        }
        const a = values.policy[vi];
        const dir = typeof a === 'number' ? DIRECTIONS[actions[a] ?? ''] : undefined;
        if (dir && kinds[i] !== 'goal' && kinds[i] !== 'terminal' && kinds[i] !== 'pit') {
          const cx = x + tile / 2;
          const cy = y + tile / 2;
          const len = tile * 0.28;
          const [dx, dy] = dir;
          overlay.moveTo(cx - dx * len * 0.6, cy - dy * len * 0.6).lineTo(cx + dx * len * 0.5, cy + dy * len * 0.5).stroke({ width: Math.max(1.5, tile * 0.06), color: GRID_COLORS.arrow, alpha: 0.8 });
          const hx = cx + dx * len;
          const hy = cy + dy * len;
          const w = tile * 0.12;
          overlay.poly([hx, hy, hx - dx * w * 1.5 - dy * w, hy - dy * w * 1.5 - dx * w, hx - dx * w * 1.5 + dy * w, hy - dy * w * 1.5 + dx * w]).fill({ color: GRID_COLORS.arrow, alpha: 0.8 });
        }
      }
    }
  }

  return {
    kind: 'gridworld',
    stepsPerSecond: 6,
    root,
    actionLabels: () => actions,
    overlays: (): Record<string, boolean> => Object.fromEntries(overlaySets.map((o, i) => [o.name, i === active])),
    overlayProblem: () => overlayNote,
    setOverlay(name, on) {
      const i = overlaySets.findIndex((o) => o.name === name);
      if (i < 0) return;
      if (on) active = i;
      else if (active === i) active = -1;
      layoutKey = '';
    },
    draw(frame, width, height) {
      layout(width, height);
      const f = Math.max(0, Math.min(frame, ctx.frames.length - 1));
      const s = ctx.frames[f] ?? first;
      trail.clear();
      // The recent path: segments between consecutive positions, fading with age.
      let prev: [number, number] | null = null;
      for (let k = Math.max(0, f - TRAIL_FRAMES); k <= f; k++) {
        const p = agentOf(ctx.frames[k], cols);
        if (p && prev && (p[0] !== prev[0] || p[1] !== prev[1]) && Math.abs(p[0] - prev[0]) + Math.abs(p[1] - prev[1]) === 1) {
          trail.moveTo(ox + (prev[1] + 0.5) * tile, oy + (prev[0] + 0.5) * tile).lineTo(ox + (p[1] + 0.5) * tile, oy + (p[0] + 0.5) * tile).stroke({ width: Math.max(2, tile * 0.1), color: GRID_COLORS.agent, alpha: 0.15 + (0.35 * (k - (f - TRAIL_FRAMES))) / TRAIL_FRAMES });
        }
        prev = p;
      }
      agent.clear();
      const pos = agentOf(s, cols);
      if (pos) {
        const cx = ox + (pos[1] + 0.5) * tile;
        const cy = oy + (pos[0] + 0.5) * tile;
        agent.circle(cx, cy, tile * 0.32).fill(GRID_COLORS.agent);
        agent.circle(cx, cy, tile * 0.32).stroke({ width: 2, color: 0xffffff, alpha: 0.9 });
      }
      probe = {
        kind: 'gridworld',
        marker: pos ? { x: ox + (pos[1] + 0.5) * tile, y: oy + (pos[0] + 0.5) * tile, color: hex(GRID_COLORS.agent) } : null,
        agent: pos,
        tile,
        origin: { x: ox, y: oy },
        overlay: active >= 0,
        overlayName: overlaySets[active]?.name ?? null,
        overlayNote,
      };
    },
    probe: () => probe,
    destroy: () => root.destroy({ children: true }),
  };
}

function formatValue(v: number): string {
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}
