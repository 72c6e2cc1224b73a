/**
 * # GridWorld (tabular gridworlds from ASCII maps)
 *
 * ## Description
 * An agent moves between the cells of a grid drawn as an ASCII map: walls, start cells, terminal goals,
 * pits and cliffs, and teleports. The env exposes its exact model (`transitions(s, a)`, `numStates`, …)
 * so the planners of agents/planning.ts can solve it. Registered ids: `GridWorld-4x4` (Sutton & Barto
 * Example 4.1), `GridWorld-5x5` (Example 3.5), `CliffWalking` (Example 6.6), `FourRooms` (Sutton, Precup &
 * Singh 1999) and `GridWorld-Maze`; the layouts and their sources are in envs/gridworld-layouts.ts.
 *
 * ## Map legend
 * A layout is a list of equal-length rows, one character per cell:
 *
 * | Char  | Cell                                                                                      |
 * |-------|-------------------------------------------------------------------------------------------|
 * | `.`   | floor                                                                                     |
 * | `#`   | wall: moving into it leaves the agent in place (as does moving off the map's edge)        |
 * | `S`   | start cell (floor where episodes begin; several allowed)                                   |
 * | `G`   | goal: terminal, reward +1                                                                 |
 * | `T`   | terminal, with the ordinary step reward                                                   |
 * | `C`   | cliff: reward -100 and the agent is sent back to a start cell; the episode goes on        |
 * | `P`   | pit: terminal, reward -1                                                                  |
 * | `a`–`z` | floor with a label, used as a teleport destination                                      |
 *
 * A layout's `legend` adds characters or overrides these, with one of the cell specs
 * `{kind: 'floor' | 'wall' | 'start' | 'terminal' | 'pit' | 'teleport', reward?, terminal?, to?}`:
 * a `pit` is sent-back-to-start unless `terminal: true`; a `teleport` moves the agent, whatever the action,
 * to the cell labelled `to` (e.g. `A: {kind: 'teleport', to: 'a', reward: 10}` is Sutton & Barto's A → A').
 *
 * A cell's `reward` is the reward of the transition *into* it (for a teleport: *out of* it) and replaces
 * the step reward; cells without one give `stepReward`. Bumping into a wall or the edge gives `bumpReward`.
 * Without any `S` cell, episodes start in every cell that is neither a wall, a terminal nor a pit.
 * Starts are drawn uniformly from the env's seeded stream, on reset and after falling off a cliff.
 *
 * Defining a new world:
 * ```ts
 * const env = makeGridWorld({
 *   map: `S..#..G
 *         .#.#.#.
 *         .#...#C`,
 *   legend: { C: { kind: 'pit', reward: -10, terminal: true } },
 * }, { stepReward: -0.1, slip: 0.1 }, { maxEpisodeSteps: 100 });
 * ```
 *
 * ## Action space
 * `Discrete(4)`: 0 up (row - 1), 1 right (col + 1), 2 down (row + 1), 3 left (col - 1).
 * With probability `slip` the move goes in one of the three *other* directions instead, each chosen with
 * probability `slip / 3`; the intended direction keeps probability `1 - slip`. (A slip is decided first, by
 * one uniform draw; only when it slips does a second draw pick the direction.) From a teleport cell every
 * action teleports, so slipping does not apply there.
 *
 * ## Observation space
 * A float32 `Box`, chosen with `obs`:
 *
 * | `obs`      | Shape                  | Content                                                                |
 * |------------|------------------------|------------------------------------------------------------------------|
 * | `'onehot'` | `[numStates]`          | 1 at the agent's state index (default)                                  |
 * | `'coords'` | `[2]`                  | (row / (rows - 1), col / (cols - 1)), in [0, 1]                         |
 * | `'image'`  | `[5, rows, cols]`      | channels {@link GRIDWORLD_IMAGE_CHANNELS}: wall, agent, terminal (non-pit), pit, teleport |
 *
 * States are the cells the agent can stand in (every non-wall cell except pits that send the agent back),
 * numbered row-major: `stateOf(row, col)` and `cellOf(s)` convert.
 *
 * ## Rewards
 * Per layout (see the legend above): `stepReward` per move, the cell's reward on entering a goal, pit or
 * rewarding floor, the teleport's reward on leaving it, `bumpReward` on hitting a wall or the edge.
 *
 * ## Starting state
 * A start cell drawn uniformly (see the legend). `reset({options: {startState: s}})` starts in state `s`.
 *
 * ## Episode end
 * Terminated on entering a terminal cell (goal, `T`, terminal pit). Truncated by the registered time limit.
 * Stepping the bare env again in a terminal state returns reward 0 and `terminated: true` (as the model's
 * absorbing self-loop does); through `make` that is an error asking for `reset()`.
 *
 * ## Info
 * `info.state` (the state index) on reset and step; on step also `info.event`
 * (`'move' | 'bump' | 'teleport' | 'pit' | 'terminal'`) and `info.slipped`.
 *
 * ## Arguments
 * `new GridWorldEnv({layout, stepReward, bumpReward, slip, obs})`: `layout` is a built-in layout name
 * (`'4x4'`, `'5x5'`, `'CliffWalking'`, `'FourRooms'`, `'Maze'`) or a {@link GridLayout}; the other options
 * override the layout's defaults (`stepReward` 0, `bumpReward` = `stepReward`, `slip` 0, `obs` 'onehot').
 * Rewards (these two and a legend cell's) lie between -1e6 and 1e6 (`GRIDWORLD_REWARD_RANGE`), `slip` in [0, 1].
 *
 * ## Version history
 * - v0 (tsgym 0.1): first version.
 */
import { assertAction, BaseEnv, checkOptionRange, describeValue, rejectUnknownOptions, type OptionRange } from './core.js';
import { TsgymError } from '../core/errors.js';
import type { Action, Env, RenderState, ResetArgs, ResetResult, StepResult } from './core.js';
import { Box, Discrete } from './spaces.js';
import { Rng } from '../core/rng.js';
import { StateReader } from './state-check.js';
import { OrderEnforcing, TimeLimit } from './wrappers.js';
import { GRIDWORLD_LAYOUTS } from './gridworld-layouts.js';

/** What one map character stands for. `reward` replaces the step reward (see the file comment). */
export type GridCellSpec =
  | { kind: 'floor'; reward?: number }
  | { kind: 'wall' }
  | { kind: 'start' }
  | { kind: 'terminal'; reward?: number }
  | { kind: 'pit'; reward?: number; terminal?: boolean }
  | { kind: 'teleport'; to: string; reward?: number };

export type GridCellKind = GridCellSpec['kind'];

export interface GridLayout {
  /** Shown in errors and render states. */
  name?: string;
  /** Rows of the map, or one string with a row per line (lines are trimmed, blank lines dropped). */
  map: readonly string[] | string;
  /** Characters added to or overriding {@link DEFAULT_GRID_LEGEND}. */
  legend?: Readonly<Record<string, GridCellSpec>>;
  stepReward?: number;
  /** Reward for bumping into a wall or the edge; defaults to the step reward. */
  bumpReward?: number;
  slip?: number;
  /** Where the layout comes from (a book, a paper). */
  source?: string;
}

export type GridObservation = 'onehot' | 'coords' | 'image';

export interface GridWorldOptions {
  /** A built-in layout name (see GRIDWORLD_LAYOUTS) or a layout; default '4x4'. */
  layout?: string | GridLayout;
  stepReward?: number;
  bumpReward?: number;
  /** Probability in [0, 1] that a move goes in one of the three other directions (uniformly). */
  slip?: number;
  obs?: GridObservation;
}

/** One outcome of taking an action: probability, next state index, reward, whether `next` is terminal. */
export interface GridTransition {
  readonly p: number;
  readonly next: number;
  readonly reward: number;
  readonly done: boolean;
}

export const DEFAULT_GRID_LEGEND: Readonly<Record<string, GridCellSpec>> = {
  '.': { kind: 'floor' },
  '#': { kind: 'wall' },
  S: { kind: 'start' },
  G: { kind: 'terminal', reward: 1 },
  T: { kind: 'terminal' },
  C: { kind: 'pit', reward: -100 },
  P: { kind: 'pit', reward: -1, terminal: true },
};

/**
 * Accepted rewards (`stepReward`, `bumpReward`, a legend cell's `reward`): wide enough for any tabular task,
 * small enough that a return summed over any time limit stays finite.
 */
export const GRIDWORLD_REWARD_RANGE: OptionRange = { min: -1e6, max: 1e6 };

/** Action names by index. */
export const GRIDWORLD_ACTIONS = ['up', 'right', 'down', 'left'] as const;
/** Channels of the `'image'` observation, in order. */
export const GRIDWORLD_IMAGE_CHANNELS = ['wall', 'agent', 'terminal', 'pit', 'teleport'] as const;

const DROW = [-1, 0, 1, 0];
const DCOL = [0, 1, 0, -1];

const FLOOR = 0;
const WALL = 1;
const START = 2;
const TERMINAL = 3;
const PIT = 4;
const TELEPORT = 5;
const KIND_CODES: Record<GridCellKind, number> = { floor: FLOOR, wall: WALL, start: START, terminal: TERMINAL, pit: PIT, teleport: TELEPORT };

type StepEvent = 'move' | 'bump' | 'teleport' | 'pit' | 'terminal';

/** What `renderState()` gives the viewer's gridworld scene. */
export interface GridWorldRenderState extends RenderState {
  kind: 'gridworld';
  layout: string;
  rows: number;
  cols: number;
  /** The map, one string per row, one character per cell (see `legend`). */
  cells: string[];
  legend: Record<string, GridCellSpec>;
  /** [row, col] of the agent; [-1, -1] before the first reset. */
  agent: [number, number];
  state: number;
  lastAction: number;
  lastReward: number;
  /** What the last step did. */
  event: StepEvent | 'reset';
  actions: string[];
}

/** Splits and checks a layout's map; returns its rows. */
function mapRows(label: string, map: GridLayout['map']): string[] {
  const rows = typeof map === 'string' ? map.split('\n').map((l) => l.trim()).filter((l) => l.length > 0) : [...map];
  if (rows.length === 0 || rows[0].length === 0) throw new TsgymError(`${label}: the map is empty; give at least one row of cells, e.g. ['S..G']`);
  for (let r = 0; r < rows.length; r++) {
    if (typeof rows[r] !== 'string') throw new TsgymError(`${label}: map row ${r} is not a string`);
    if (rows[r].length !== rows[0].length) {
      throw new TsgymError(`${label}: map row ${r} has ${rows[r].length} cells but row 0 has ${rows[0].length}; every row must have the same length (pad with '#' or '.')`);
    }
  }
  return rows;
}

function checkCellSpec(label: string, ch: string, spec: GridCellSpec): void {
  if (!spec || typeof spec !== 'object' || !(spec.kind in KIND_CODES)) {
    throw new TsgymError(`${label}: legend entry '${ch}' must be {kind: ${Object.keys(KIND_CODES).map((k) => `'${k}'`).join(' | ')}, …}, got ${describeValue(spec)}`);
  }
  const reward = (spec as { reward?: unknown }).reward;
  if (reward !== undefined && (typeof reward !== 'number' || !(reward >= GRIDWORLD_REWARD_RANGE.min && reward <= GRIDWORLD_REWARD_RANGE.max))) {
    throw new TsgymError(`${label}: legend entry '${ch}' has reward ${describeValue(reward)}; use a number between ${GRIDWORLD_REWARD_RANGE.min} and ${GRIDWORLD_REWARD_RANGE.max}, or leave it out for the step reward`);
  }
  if (spec.kind === 'teleport' && (typeof spec.to !== 'string' || spec.to.length !== 1)) {
    throw new TsgymError(`${label}: teleport '${ch}' needs 'to': the single map character that marks its destination, e.g. {kind: 'teleport', to: 'a', reward: 10}`);
  }
}

/**
 * A gridworld env built from an ASCII layout, with its exact model. See the file comment for the legend,
 * the dynamics and the options.
 */
export class GridWorldEnv extends BaseEnv<Float32Array, number> {
  readonly actionSpace = new Discrete(4);
  readonly observationSpace: Box;
  readonly layoutName: string;
  readonly rows: number;
  readonly cols: number;
  /** The map rows, as given. */
  readonly map: readonly string[];
  readonly stepReward: number;
  readonly bumpReward: number;
  readonly slip: number;
  readonly obsMode: GridObservation;
  readonly numStates: number;
  readonly numActions = 4;
  /** State indices episodes start in (uniformly). */
  readonly startStates: Int32Array;
  readonly terminalStates: Int32Array;

  private readonly legend: Record<string, GridCellSpec>;
  /** The legend entries the map uses, for the viewer. */
  private readonly renderLegend: Record<string, GridCellSpec>;
  private readonly kind: Uint8Array;
  /** Reward on entering (teleport: leaving) each cell; NaN = the step reward. */
  private readonly cellReward: Float64Array;
  private readonly pitTerminal: Uint8Array;
  private readonly teleportTarget: Int32Array;
  /** Cell → state index, -1 for walls and send-back pits. */
  private readonly stateOfCell: Int32Array;
  private readonly cellOfState: Int32Array;
  private readonly terminal: Uint8Array;
  private readonly model: (readonly GridTransition[])[];
  private readonly staticImage: Float32Array | undefined;

  private state = -1;
  private lastAction = -1;
  private lastReward = 0;
  private lastEvent: StepEvent | 'reset' = 'reset';

  constructor(options: GridWorldOptions = {}) {
    super();
    rejectUnknownOptions('GridWorld', options as Record<string, unknown>, ['layout', 'stepReward', 'bumpReward', 'slip', 'obs']);
    const layout = resolveLayout(options.layout ?? '4x4');
    this.layoutName = layout.name ?? 'custom';
    const label = `GridWorld '${this.layoutName}'`;

    this.stepReward = checkOptionRange(label, 'stepReward', finiteOption(label, 'stepReward', options.stepReward ?? layout.stepReward ?? 0), GRIDWORLD_REWARD_RANGE);
    this.bumpReward = checkOptionRange(label, 'bumpReward', finiteOption(label, 'bumpReward', options.bumpReward ?? layout.bumpReward ?? this.stepReward), GRIDWORLD_REWARD_RANGE);
    this.slip = finiteOption(label, 'slip', options.slip ?? layout.slip ?? 0);
    if (this.slip < 0 || this.slip > 1) throw new TsgymError(`${label}: option 'slip' must be a probability in [0, 1], got ${this.slip}`);
    this.obsMode = options.obs ?? 'onehot';
    if (!['onehot', 'coords', 'image'].includes(this.obsMode)) {
      throw new TsgymError(`${label}: option 'obs' must be 'onehot', 'coords' or 'image', got ${describeValue(this.obsMode)}`);
    }

    // Parse the map.
    const rows = mapRows(label, layout.map);
    this.map = rows;
    this.rows = rows.length;
    this.cols = rows[0].length;
    const nCells = this.rows * this.cols;
    this.legend = { ...DEFAULT_GRID_LEGEND, ...(layout.legend ?? {}) };
    this.kind = new Uint8Array(nCells);
    this.cellReward = new Float64Array(nCells).fill(NaN);
    this.pitTerminal = new Uint8Array(nCells);
    this.teleportTarget = new Int32Array(nCells).fill(-1);
    const usedLegend: Record<string, GridCellSpec> = {};
    const cellsByChar = new Map<string, number[]>();
    for (let r = 0; r < this.rows; r++) {
      for (let c = 0; c < this.cols; c++) {
        const ch = rows[r][c];
        const i = r * this.cols + c;
        let spec = this.legend[ch];
        if (!spec && /^[a-z]$/.test(ch)) spec = { kind: 'floor' };
        if (!spec) {
          throw new TsgymError(`${label}: unknown map character '${ch}' at row ${r}, col ${c}; use one of ${Object.keys(this.legend).map((k) => `'${k}'`).join(' ')} or a lower-case label, or add '${ch}' to the layout's legend`);
        }
        checkCellSpec(label, ch, spec);
        usedLegend[ch] = spec;
        this.kind[i] = KIND_CODES[spec.kind];
        const reward = (spec as { reward?: number }).reward;
        if (reward !== undefined) this.cellReward[i] = reward;
        if (spec.kind === 'pit' && spec.terminal) this.pitTerminal[i] = 1;
        const list = cellsByChar.get(ch) ?? [];
        list.push(i);
        cellsByChar.set(ch, list);
      }
    }
    for (let i = 0; i < nCells; i++) {
      if (this.kind[i] !== TELEPORT) continue;
      const ch = rows[Math.floor(i / this.cols)][i % this.cols];
      const to = (this.legend[ch] as { to: string }).to;
      const targets = cellsByChar.get(to) ?? [];
      if (targets.length !== 1) {
        throw new TsgymError(`${label}: teleport '${ch}' goes to '${to}', which appears ${targets.length} times in the map; mark exactly one destination cell with '${to}'`);
      }
      const t = targets[0];
      if (this.kind[t] === WALL || (this.kind[t] === PIT && !this.pitTerminal[t])) {
        throw new TsgymError(`${label}: teleport '${ch}' lands on '${to}', a wall or send-back pit; teleport onto a cell the agent can stand in`);
      }
      this.teleportTarget[i] = t;
    }
    this.renderLegend = Object.fromEntries(Object.entries(usedLegend).map(([ch, spec]) => [ch, { ...spec }]));

    // Number the states.
    this.stateOfCell = new Int32Array(nCells).fill(-1);
    const cellOfState: number[] = [];
    for (let i = 0; i < nCells; i++) {
      if (this.kind[i] === WALL || (this.kind[i] === PIT && !this.pitTerminal[i])) continue;
      this.stateOfCell[i] = cellOfState.length;
      cellOfState.push(i);
    }
    this.numStates = cellOfState.length;
    if (this.numStates === 0) throw new TsgymError(`${label}: the map has no cell the agent can stand in`);
    this.cellOfState = Int32Array.from(cellOfState);
    this.terminal = new Uint8Array(this.numStates);
    const terminals: number[] = [];
    const marked: number[] = [];
    const open: number[] = [];
    for (let s = 0; s < this.numStates; s++) {
      const k = this.kind[this.cellOfState[s]];
      if (k === TERMINAL || k === PIT) {
        this.terminal[s] = 1;
        terminals.push(s);
      } else {
        open.push(s);
        if (k === START) marked.push(s);
      }
    }
    this.terminalStates = Int32Array.from(terminals);
    this.startStates = Int32Array.from(marked.length ? marked : open);
    if (this.startStates.length === 0) throw new TsgymError(`${label}: no start cell; mark one with 'S' or leave a non-terminal floor cell`);

    this.observationSpace = this.obsMode === 'onehot'
      ? new Box(0, 1, [this.numStates])
      : this.obsMode === 'coords'
        ? new Box(0, 1, [2])
        : new Box(0, 1, [GRIDWORLD_IMAGE_CHANNELS.length, this.rows, this.cols]);
    this.staticImage = this.obsMode === 'image' ? this.buildStaticImage() : undefined;
    this.model = [];
    for (let s = 0; s < this.numStates; s++) for (let a = 0; a < 4; a++) this.model.push(this.computeTransitions(s, a));
  }

  // ---- exact model -------------------------------------------------------------------------------

  /** The outcomes of action `a` in state `s` (probabilities sum to 1; equal outcomes merged). Do not mutate. */
  transitions(s: number, a: number): readonly GridTransition[] {
    this.checkState(s);
    if (!this.actionSpace.contains(a)) throw new TsgymError(`GridWorld '${this.layoutName}': transitions(s, a): action ${describeValue(a)} is not 0 (up), 1 (right), 2 (down) or 3 (left)`);
    return this.model[s * 4 + a];
  }

  isTerminal(s: number): boolean {
    this.checkState(s);
    return this.terminal[s] === 1;
  }

  /**
   * The best expected return of an episode of at most `horizon` steps, averaged over the start cells (exact
   * finite-horizon value iteration on the model). Null when some start cannot reach a goal — a terminal cell
   * that is not a pit — within `horizon` steps (a map without one, a walled-in start): there is nothing to solve.
   */
  optimalReturn(horizon: number): number | null {
    const S = this.numStates;
    // Fewest steps from each state to a goal, over outcomes of positive probability.
    const stepsToGoal = new Float64Array(S).fill(Infinity);
    for (let s = 0; s < S; s++) if (this.kind[this.cellOfState[s]] === TERMINAL) stepsToGoal[s] = 0;
    for (let d = 1, changed = true; changed && d <= horizon; d++) {
      changed = false;
      for (let s = 0; s < S; s++) {
        if (this.terminal[s] || stepsToGoal[s] < d) continue;
        if (this.model.slice(s * 4, s * 4 + 4).some((outcomes) => outcomes.some((t) => t.p > 0 && stepsToGoal[t.next] === d - 1))) {
          stepsToGoal[s] = d;
          changed = true;
        }
      }
    }
    if (this.startStates.some((s) => stepsToGoal[s] > horizon)) return null;
    // v_k = the best return within k steps; terminal states stay 0.
    let v = new Float64Array(S);
    for (let k = 0; k < horizon; k++) {
      const next = new Float64Array(S);
      for (let s = 0; s < S; s++) {
        if (this.terminal[s]) continue;
        let best = -Infinity;
        for (let a = 0; a < 4; a++) {
          let q = 0;
          for (const t of this.model[s * 4 + a]) q += t.p * (t.reward + (t.done ? 0 : v[t.next]));
          if (q > best) best = q;
        }
        next[s] = best;
      }
      const settled = next.every((x, s) => x === v[s]);
      v = next;
      if (settled) break;
    }
    let sum = 0;
    for (const s of this.startStates) sum += v[s];
    return sum / this.startStates.length;
  }

  /** The state index of a cell, or -1 for a wall or a pit that sends the agent back (not states). */
  stateOf(row: number, col: number): number {
    if (!Number.isInteger(row) || !Number.isInteger(col) || row < 0 || col < 0 || row >= this.rows || col >= this.cols) {
      throw new TsgymError(`GridWorld '${this.layoutName}': cell (${row}, ${col}) is outside the ${this.rows}×${this.cols} map`);
    }
    return this.stateOfCell[row * this.cols + col];
  }

  /** The (row, col) of a state index. */
  cellOf(s: number): [number, number] {
    this.checkState(s);
    const i = this.cellOfState[s];
    return [Math.floor(i / this.cols), i % this.cols];
  }

  /** The agent's current state index (-1 before the first reset). */
  get currentState(): number {
    return this.state;
  }

  private checkState(s: number): void {
    if (!Number.isInteger(s) || s < 0 || s >= this.numStates) {
      throw new TsgymError(`GridWorld '${this.layoutName}': state ${describeValue(s)} is not a state index; use an integer from 0 to ${this.numStates - 1} (see stateOf(row, col))`);
    }
  }

  /** Where a move in `dir` from `cell` lands: the target cell, or -1 when it bumps a wall or the edge. */
  private moveTarget(cell: number, dir: number): number {
    const r = Math.floor(cell / this.cols) + DROW[dir];
    const c = (cell % this.cols) + DCOL[dir];
    if (r < 0 || c < 0 || r >= this.rows || c >= this.cols) return -1;
    const t = r * this.cols + c;
    return this.kind[t] === WALL ? -1 : t;
  }

  /** Reward for moving into `cell` (a teleport's own reward is for leaving it, so entering one pays the step reward). */
  private enterReward(cell: number): number {
    const r = this.cellReward[cell];
    return Number.isNaN(r) || this.kind[cell] === TELEPORT ? this.stepReward : r;
  }

  private teleportReward(cell: number): number {
    const r = this.cellReward[cell];
    return Number.isNaN(r) ? this.stepReward : r;
  }

  private computeTransitions(s: number, a: number): readonly GridTransition[] {
    const out: GridTransition[] = [];
    const add = (p: number, next: number, reward: number) => {
      if (p === 0) return;
      const done = this.terminal[next] === 1;
      const same = out.findIndex((o) => o.next === next && o.reward === reward);
      if (same >= 0) out[same] = { ...out[same], p: out[same].p + p };
      else out.push({ p, next, reward, done });
    };
    const cell = this.cellOfState[s];
    if (this.terminal[s]) {
      add(1, s, 0);
    } else if (this.kind[cell] === TELEPORT) {
      add(1, this.stateOfCell[this.teleportTarget[cell]], this.teleportReward(cell));
    } else {
      for (let dir = 0; dir < 4; dir++) {
        const p = dir === a ? 1 - this.slip : this.slip / 3;
        if (p === 0) continue;
        const t = this.moveTarget(cell, dir);
        if (t < 0) {
          add(p, s, this.bumpReward);
        } else if (this.kind[t] === PIT && !this.pitTerminal[t]) {
          const pStart = p / this.startStates.length;
          for (const start of this.startStates) add(pStart, start, this.enterReward(t));
        } else {
          add(p, this.stateOfCell[t], this.enterReward(t));
        }
      }
    }
    return Object.freeze(out.map((o) => Object.freeze(o)));
  }

  // ---- env API ------------------------------------------------------------------------------------

  reset(args: ResetArgs = {}): ResetResult<Float32Array> {
    const rng = this.seedStream(args.seed);
    rejectUnknownOptions(this.id, args.options, ['startState']);
    const chosen = args.options?.startState;
    if (chosen !== undefined) {
      if (typeof chosen !== 'number' || !Number.isInteger(chosen) || chosen < 0 || chosen >= this.numStates || this.terminal[chosen]) {
        throw new TsgymError(`${this.id}: reset option startState must be a non-terminal state index in [0, ${this.numStates - 1}], got ${describeValue(chosen)}`);
      }
      this.state = chosen;
    } else {
      this.state = this.startStates[rng.int(this.startStates.length)];
    }
    this.lastAction = -1;
    this.lastReward = 0;
    this.lastEvent = 'reset';
    return { obs: this.observe(), info: { state: this.state } };
  }

  step(action: number): StepResult<Float32Array> {
    assertAction(this.id, this.actionSpace, action);
    if (this.state < 0) throw new TsgymError(`${this.id}: step() called before reset(); call env.reset() first`);
    const rng = this.rng!;
    this.lastAction = action;
    const cell = this.cellOfState[this.state];
    let reward: number;
    let event: StepEvent;
    let slipped = false;
    if (this.terminal[this.state]) {
      // Absorbing, as in the model.
      reward = 0;
      event = 'terminal';
    } else if (this.kind[cell] === TELEPORT) {
      reward = this.teleportReward(cell);
      this.state = this.stateOfCell[this.teleportTarget[cell]];
      event = 'teleport';
    } else {
      let dir = action;
      if (this.slip > 0 && rng.random() < this.slip) {
        // One of the other three directions, in increasing index order, uniformly.
        const k = rng.int(3);
        dir = k < action ? k : k + 1;
        slipped = true;
      }
      const t = this.moveTarget(cell, dir);
      if (t < 0) {
        reward = this.bumpReward;
        event = 'bump';
      } else if (this.kind[t] === PIT && !this.pitTerminal[t]) {
        reward = this.enterReward(t);
        this.state = this.startStates[rng.int(this.startStates.length)];
        event = 'pit';
      } else {
        reward = this.enterReward(t);
        this.state = this.stateOfCell[t];
        event = this.terminal[this.state] ? 'terminal' : 'move';
      }
    }
    this.lastReward = reward;
    this.lastEvent = event;
    const terminated = this.terminal[this.state] === 1;
    return { obs: this.observe(), reward, terminated, truncated: false, info: { state: this.state, event, slipped } };
  }

  private buildStaticImage(): Float32Array {
    const n = this.rows * this.cols;
    const img = new Float32Array(GRIDWORLD_IMAGE_CHANNELS.length * n);
    for (let i = 0; i < n; i++) {
      const k = this.kind[i];
      if (k === WALL) img[i] = 1;
      else if (k === TERMINAL) img[2 * n + i] = 1;
      else if (k === PIT) img[3 * n + i] = 1;
      else if (k === TELEPORT) img[4 * n + i] = 1;
    }
    return img;
  }

  /** The observation of state `s` in this env's `obs` mode (a fresh array). */
  observationOf(s: number): Float32Array {
    this.checkState(s);
    if (this.obsMode === 'onehot') {
      const o = new Float32Array(this.numStates);
      o[s] = 1;
      return o;
    }
    const cell = this.cellOfState[s];
    const r = Math.floor(cell / this.cols);
    const c = cell % this.cols;
    if (this.obsMode === 'coords') {
      return Float32Array.of(this.rows > 1 ? r / (this.rows - 1) : 0, this.cols > 1 ? c / (this.cols - 1) : 0);
    }
    const img = Float32Array.from(this.staticImage!);
    img[this.rows * this.cols + cell] = 1;
    return img;
  }

  private observe(): Float32Array {
    return this.observationOf(this.state);
  }

  /** Everything that determines the future (for checkpoints): agent state, last step, random stream. */
  getState(): unknown {
    return { kind: 'GridWorld', layout: this.layoutName, state: this.state, lastAction: this.lastAction, lastReward: this.lastReward, lastEvent: this.lastEvent, rng: this.rng?.state() ?? null };
  }

  setState(snapshot: unknown): void {
    // Every field is checked before any is assigned; a snapshot of another layout is refused.
    const r = new StateReader(this.id, 'GridWorld', snapshot);
    const layout = r.raw('layout');
    if (layout !== undefined && layout !== this.layoutName) throw new TsgymError(`${this.id}: setState() was given the state of layout ${typeof layout === 'string' ? `'${layout}'` : describeValue(layout)}, not '${this.layoutName}'`);
    const state = r.int('state', -1, this.numStates - 1);
    const lastAction = r.int('lastAction', -1, 3);
    const lastReward = r.number('lastReward');
    const lastEvent = r.oneOf<StepEvent | 'reset'>('lastEvent', ['move', 'bump', 'teleport', 'pit', 'terminal', 'reset']);
    const rng = r.nullable('rng', (x, k) => x.rng(k));
    this.state = state;
    this.lastAction = lastAction;
    this.lastReward = lastReward;
    this.lastEvent = lastEvent;
    this.rng = rng ? Rng.fromState(rng) : undefined;
  }

  renderState(): GridWorldRenderState {
    const [row, col] = this.state >= 0 ? this.cellOf(this.state) : [-1, -1];
    return {
      kind: 'gridworld',
      layout: this.layoutName,
      rows: this.rows,
      cols: this.cols,
      cells: [...this.map],
      legend: this.renderLegend,
      agent: [row, col],
      state: this.state,
      lastAction: this.lastAction,
      lastReward: this.lastReward,
      event: this.lastEvent,
      actions: [...GRIDWORLD_ACTIONS],
    };
  }
}

function finiteOption(label: string, key: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TsgymError(`${label}: option '${key}' must be a finite number, got ${describeValue(v)}`);
  return v;
}

/** A built-in layout by name (case-insensitive), or the layout itself. */
export function resolveLayout(layout: string | GridLayout): GridLayout {
  if (typeof layout !== 'string') {
    if (!layout || typeof layout !== 'object' || layout.map === undefined) {
      throw new TsgymError(`GridWorld: option 'layout' must be a layout name (${Object.keys(GRIDWORLD_LAYOUTS).join(', ')}) or {map, legend?, …}, got ${describeValue(layout)}`);
    }
    return layout;
  }
  const key = Object.keys(GRIDWORLD_LAYOUTS).find((k) => k.toLowerCase() === layout.toLowerCase());
  if (!key) throw new TsgymError(`GridWorld: unknown layout '${layout}'; built-in layouts: ${Object.keys(GRIDWORLD_LAYOUTS).join(', ')} (or pass a layout object {map, legend?})`);
  return GRIDWORLD_LAYOUTS[key];
}

export interface MakeGridWorldOptions {
  /** Time limit (TimeLimit wrapper); default 200, `null` for none. */
  maxEpisodeSteps?: number | null;
  /** The id in `spec` and error messages; default the layout's name. */
  id?: string;
}

/**
 * A gridworld from a layout, wrapped like `make` does it (order checks + time limit), for worlds that
 * are not registered. The model is on `env.unwrapped as GridWorldEnv`.
 */
export function makeGridWorld(layout: string | GridLayout, options: Omit<GridWorldOptions, 'layout'> = {}, opts: MakeGridWorldOptions = {}): Env<Float32Array, Action> {
  const base = new GridWorldEnv({ ...options, layout });
  const maxEpisodeSteps = opts.maxEpisodeSteps === null ? undefined : (opts.maxEpisodeSteps ?? 200);
  base.spec = { id: opts.id ?? `GridWorld-${base.layoutName}`, maxEpisodeSteps, kwargs: { ...options, layout } };
  let env: Env<Float32Array, Action> = base as Env<Float32Array, Action>;
  if (maxEpisodeSteps !== undefined) env = new TimeLimit(env, maxEpisodeSteps);
  return new OrderEnforcing(env);
}
