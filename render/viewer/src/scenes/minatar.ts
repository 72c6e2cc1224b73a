/**
 * MinAtar games: the 10×10 grid, each cell filled with the colour of its highest set channel (MinAtar's own
 * display picks the highest channel too), trails drawn as a smaller dimmed square so the direction of motion
 * reads at a glance, and a legend of the game's channels. Render state fields: `game, channels, cells`
 * (bit c of `cells[y·10 + x]` = channel c), `terminated`.
 */
import { Container, Graphics } from 'pixi.js';
import { MINATAR_ACTION_NAMES, minatarActionSet } from '../../../../envs/minatar/env.js';
import { frameAt, hex, onResize, sceneText, type Scene, type SceneContext, type SceneProbe } from './scene.js';

const GRID = 10;

export const MINATAR_COLORS = {
  background: 0x14161c,
  gridLine: 0x262a33,
  text: 0xd8d4c8,
  terminal: 0xe03131,
  /** By channel index; channel 0 is always the player's piece. */
  channels: [0x4dabf7, 0xf76707, 0x868e96, 0xfab005, 0x69db7c, 0xe64980, 0xb197fc, 0x38d9a9, 0xffa8a8, 0xffe066],
} as const;

function isTrail(name: string): boolean {
  return name === 'trail' || name.startsWith('speed');
}

export function minatarScene(ctx: SceneContext): Scene {
  const root = new Container();
  const background = new Graphics();
  const cellsLayer = new Graphics();
  const status = sceneText(MINATAR_COLORS.text);
  root.addChild(background, cellsLayer, status);

  const first = ctx.frames[0] ?? { kind: 'minatar' };
  const channels = Array.isArray(first.channels) ? (first.channels as string[]) : [];
  const game = typeof first.game === 'string' ? first.game : 'minatar';
  const actionSet = minatarActionSet(ctx.replay.envId);
  const color = (c: number) => MINATAR_COLORS.channels[c % MINATAR_COLORS.channels.length];
  const legend = channels.map((name) => {
    const t = sceneText(MINATAR_COLORS.text);
    t.text = name;
    root.addChild(t);
    return t;
  });
  let cell = 20;
  let ox = 0;
  let oy = 0;
  let probe: SceneProbe = { kind: 'minatar', marker: null };

  const layout = onResize((width: number, height: number): void => {
    cell = Math.max(4, Math.floor(Math.min(width - 16, height - 56) / GRID));
    ox = Math.floor((width - cell * GRID) / 2);
    oy = 30;
    const g = background.clear();
    g.rect(0, 0, width, height).fill(MINATAR_COLORS.background);
    for (let i = 0; i <= GRID; i++) {
      g.moveTo(ox + i * cell, oy).lineTo(ox + i * cell, oy + GRID * cell).stroke({ width: 1, color: MINATAR_COLORS.gridLine });
      g.moveTo(ox, oy + i * cell).lineTo(ox + GRID * cell, oy + i * cell).stroke({ width: 1, color: MINATAR_COLORS.gridLine });
    }
    // The legend: a swatch and the name of each channel, wrapped into rows.
    let lx = 8;
    let ly = oy + GRID * cell + 8;
    legend.forEach((t, c) => {
      if (lx + 14 + t.width > width - 8 && lx > 8) {
        lx = 8;
        ly += 16;
      }
      g.rect(lx, ly + 2, 10, 10).fill(color(c));
      t.position.set(lx + 14, ly - 1);
      lx += 14 + t.width + 12;
    });
    status.position.set(8, 6);
  });

  return {
    kind: 'minatar',
    stepsPerSecond: 8,
    root,
    actionLabels: () => (actionSet ? actionSet.map((a) => MINATAR_ACTION_NAMES[a]) : null),
    overlays: () => ({}),
    setOverlay: () => {},
    draw(frame, width, height) {
      layout(width, height);
      const s = frameAt(ctx, frame, first);
      const cells = Array.isArray(s.cells) ? (s.cells as number[]) : [];
      const g = cellsLayer.clear();
      let marker: SceneProbe['marker'] = null;
      for (let i = 0; i < GRID * GRID; i++) {
        const bits = cells[i] ?? 0;
        if (!bits) continue;
        const x = ox + (i % GRID) * cell;
        const y = oy + Math.floor(i / GRID) * cell;
        let top = -1;
        let trail = -1;
        for (let c = channels.length - 1; c >= 0; c--) {
          if (!((bits >> c) & 1)) continue;
          if (isTrail(channels[c])) trail = trail < 0 ? c : trail;
          else if (top < 0) top = c;
        }
        if (top >= 0) g.rect(x + 1, y + 1, cell - 2, cell - 2).fill(color(top));
        if (trail >= 0) {
          const inset = top >= 0 ? cell * 0.35 : cell * 0.25;
          g.rect(x + inset, y + inset, cell - 2 * inset, cell - 2 * inset).fill({ color: color(trail), alpha: 0.8 });
        }
        if (bits & 1 && !marker) marker = { x: x + cell / 2, y: y + cell / 2, color: hex(color(0)) };
      }
      status.text = `${game} · step ${Math.max(0, Math.min(frame, ctx.frames.length - 1))}${s.terminated ? ' · game over' : ''}`;
      status.style.fill = s.terminated ? MINATAR_COLORS.terminal : MINATAR_COLORS.text;
      probe = { kind: 'minatar', marker, game, cell, origin: { x: ox, y: oy } };
    },
    probe: () => probe,
    destroy: () => root.destroy({ children: true }),
  };
}
