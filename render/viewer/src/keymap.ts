/**
 * Keyboard → action for the play page. Known envs get a hand-made mapping; any other env gets one from its
 * action space alone, so a newly registered env is playable without code here:
 *
 * - gridworlds (render kind 'gridworld'): turn-based, one step per arrow press (↑ → ↓ ← = actions 0 1 2 3);
 * - CartPole: real time, ← / → push; with no key held the pushes alternate (the closest thing to "no force");
 * - LaneKeeper-v0 (Discrete 5; also with its camera): ← / → full steering target, with Shift half; nothing held: straight;
 * - LaneKeeperContinuous-v0 (Box [-1, 1]): ← = +1 (left), → = -1, with Shift ±0.5; nothing held: 0;
 * - MinAtar games: real time, ← ↑ → ↓ move and F fires (the keys the id's action set has); nothing held: no-op;
 * - any other Discrete(n): real time, ← = first action, → = last, digits 1…9 pick an action; nothing held:
 *   the middle action when n is odd (usually "no push / no torque"), else the env waits for a key; the help
 *   names the actions by the scene's labels when it has them (MountainCar: push left / no push / push right);
 * - any other Box: real time, ← / → drive the first component to its low / high bound (±1 when unbounded),
 *   ↓ / ↑ the second, Shift halves; nothing held: 0 clipped into the box.
 */
import type { Action } from '../../../envs/core.js';
import type { SpaceJSON } from '../../../envs/spaces.js';
import { minatarActionSet } from '../../../envs/minatar/env.js';

export interface KeyControls {
  /** 'turn': one step per key press; 'realtime': the env steps on a clock, acting on the held keys. */
  mode: 'turn' | 'realtime';
  /** The action for the keys held (realtime) or the key just pressed (turn); null: no step now. `tick` counts clock steps. */
  actionFor(held: ReadonlySet<string>, shift: boolean, tick: number): Action | null;
  /** One line for people: which key does what. */
  help: string;
  /** Keys the page should keep from scrolling or moving focus. */
  keys: string[];
}

const ARROWS = ['ArrowUp', 'ArrowRight', 'ArrowDown', 'ArrowLeft'];
const DIGITS = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** `labels`: the scene's names of the Discrete actions (index 0 = the first action), for the help line. */
export function keyControls(envId: string, renderKind: string, space: SpaceJSON, labels: readonly string[] | null = null): KeyControls {
  if (renderKind === 'gridworld' && space.type === 'Discrete' && space.n === 4) {
    return {
      mode: 'turn',
      actionFor: (held) => {
        for (let i = 0; i < 4; i++) if (held.has(ARROWS[i])) return space.start + i;
        return null;
      },
      help: '↑ → ↓ ← move one cell per key press',
      keys: ARROWS,
    };
  }
  if (envId === 'CartPole-v1' && space.type === 'Discrete' && space.n === 2) {
    return {
      mode: 'realtime',
      actionFor: (held, _shift, tick) => (held.has('ArrowLeft') && !held.has('ArrowRight') ? 0 : held.has('ArrowRight') && !held.has('ArrowLeft') ? 1 : tick % 2),
      help: 'hold ← / → to push the cart; with no key held the pushes alternate left/right',
      keys: ['ArrowLeft', 'ArrowRight'],
    };
  }
  const laneKeeper = renderKind === 'lanekeeper' || renderKind === 'lanekeeper-camera';
  if (laneKeeper && space.type === 'Discrete' && space.n === 5) {
    // Actions 0…4 = steering targets -1, -0.5, 0, +0.5, +1 × the limit; positive steers left.
    return {
      mode: 'realtime',
      actionFor: (held, shift) => (held.has('ArrowLeft') ? (shift ? 3 : 4) : held.has('ArrowRight') ? (shift ? 1 : 0) : 2),
      help: 'hold ← / → to steer (Shift: half), release to go straight',
      keys: ['ArrowLeft', 'ArrowRight'],
    };
  }
  if (laneKeeper && space.type === 'Box' && space.shape.length === 1 && space.shape[0] === 1) {
    return {
      mode: 'realtime',
      actionFor: (held, shift) => Float32Array.of((held.has('ArrowLeft') ? 1 : held.has('ArrowRight') ? -1 : 0) * (shift ? 0.5 : 1)),
      help: 'hold ← / → to steer (steering target ±1, Shift: ±0.5), release for 0',
      keys: ['ArrowLeft', 'ArrowRight'],
    };
  }
  const minatar = renderKind === 'minatar' ? minatarActionSet(envId) : null;
  if (minatar && space.type === 'Discrete' && space.n === minatar.length) return minatarKeys(minatar, space.start);
  return space.type === 'Discrete' ? genericDiscrete(space, labels) : genericBox(space);
}

/** MinAtar: the key of each full-set action (no-op, left, up, right, down, fire); fire wins over moving. */
function minatarKeys(actionSet: readonly number[], start: number): KeyControls {
  const keyOf = ['', 'ArrowLeft', 'ArrowUp', 'ArrowRight', 'ArrowDown', 'f'];
  const usable = [5, 1, 2, 3, 4].filter((a) => actionSet.includes(a));
  const noop = actionSet.indexOf(0);
  return {
    mode: 'realtime',
    actionFor: (held) => {
      for (const a of usable) if (held.has(keyOf[a])) return start + actionSet.indexOf(a);
      return start + noop;
    },
    help: `hold ${usable.filter((a) => a !== 5).map((a) => ARROWS_GLYPH[keyOf[a]]).join(' ')} to move${usable.includes(5) ? ', F to fire' : ''}; nothing held: no-op`,
    keys: usable.map((a) => keyOf[a]),
  };
}

const ARROWS_GLYPH: Record<string, string> = { ArrowLeft: '←', ArrowUp: '↑', ArrowRight: '→', ArrowDown: '↓' };

function genericDiscrete(space: Extract<SpaceJSON, { type: 'Discrete' }>, labels: readonly string[] | null): KeyControls {
  const { n, start } = space;
  const name = (a: number) => labels?.[a - start] ?? `action ${a}`;
  const range = (a: number, b: number) => (labels?.[a - start] && labels?.[b - start] ? `${labels[a - start]} … ${labels[b - start]}` : `actions ${a}…${b}`);
  const idle = n % 2 === 1 ? start + (n - 1) / 2 : null;
  const digits = DIGITS.slice(0, Math.min(n, 9));
  return {
    mode: 'realtime',
    actionFor: (held) => {
      for (let i = 0; i < digits.length; i++) if (held.has(digits[i])) return start + i;
      if (held.has('ArrowLeft') && !held.has('ArrowRight')) return start;
      if (held.has('ArrowRight') && !held.has('ArrowLeft')) return start + n - 1;
      return idle;
    },
    help:
      `hold ← for ${name(start)}, → for ${name(start + n - 1)}` +
      (digits.length ? `, ${digits[0]}…${digits[digits.length - 1]} for ${range(start, start + digits.length - 1)}` : '') +
      (idle !== null ? `; nothing held: ${name(idle)}` : '; nothing held: the env waits'),
    keys: ['ArrowLeft', 'ArrowRight', ...digits],
  };
}

function genericBox(space: Extract<SpaceJSON, { type: 'Box' }>): KeyControls {
  const size = space.shape.reduce((a, b) => a * b, 1);
  const bound = (v: number | null, fallback: number) => (v === null || !Number.isFinite(v) ? fallback : v);
  const low = space.low.map((v) => bound(v, -1));
  const high = space.high.map((v) => bound(v, 1));
  const rest = low.map((lo, i) => Math.min(high[i], Math.max(lo, 0)));
  return {
    mode: 'realtime',
    actionFor: (held, shift) => {
      const a = Float32Array.from(rest);
      const drive = (i: number, minus: string, plus: string) => {
        if (i >= size) return;
        const target = held.has(minus) ? low[i] : held.has(plus) ? high[i] : null;
        if (target !== null) a[i] = shift ? rest[i] + (target - rest[i]) / 2 : target;
      };
      drive(0, 'ArrowLeft', 'ArrowRight');
      drive(1, 'ArrowDown', 'ArrowUp');
      return a;
    },
    help:
      `hold ← / → for component 0 at its low ${low[0]} / high ${high[0]}` +
      (size > 1 ? `, ↓ / ↑ for component 1 (${low[1]} / ${high[1]})` : '') +
      '; Shift: half way; nothing held: 0 (clipped into the box)',
    keys: ARROWS,
  };
}
