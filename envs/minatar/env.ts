/**
 * # MinAtar/Asterix, Breakout, Freeway, Seaquest, SpaceInvaders (-v0, -v1)
 *
 * ## Description
 * The five games of MinAtar (Young & Tian, "MinAtar: An Atari-Inspired Testbed for Thorough and
 * Reproducible Reinforcement Learning Experiments", 2019): miniature Atari games on a 10×10 grid, seen as C
 * binary channels. The rules, the random draws and their order are those of the reference implementation
 * (github.com/kenjyoung/MinAtar, `minatar/environment.py` and `minatar/environments/*.py`), with numpy's
 * legacy `RandomState` ported draw for draw (core/numpy-random.ts): the same seed and actions give MinAtar's
 * trajectory bit for bit (tests/minatar.test.ts replays trajectories recorded from MinAtar's own code).
 * Each game's rules are described in its file (breakout.ts, freeway.ts, …).
 *
 * ## Action space
 * `-v0`: `Discrete(6)`, MinAtar's full set (no-op, left, up, right, down, fire; the set MinAtar's published
 * results use). `-v1`: `Discrete(k)`, the game's minimal set in MinAtar's order (Breakout: no-op, left,
 * right; Freeway: no-op, up, down; Asterix: no-op, left, up, right, down; Seaquest: all six; Space Invaders:
 * no-op, left, right, fire).
 *
 * ## Observation space
 * `Box(0, 1, [10, 10, C])`, float32, 0 or 1, in MinAtar's (y, x, channel) order flattened row-major:
 * element `(y·10 + x)·C + c`. C = 4 (Asterix, Breakout), 7 (Freeway), 10 (Seaquest), 6 (Space Invaders).
 *
 * ## Sticky actions and seeding
 * As MinAtar's `Environment`: before each step one uniform draw decides whether the previous action is
 * repeated instead of the chosen one (probability `stickyActionProb`, default 0.1; the draw is made even
 * at probability 0, as there). The game and the sticky actions share one stream:
 * `reset({seed})` is `Environment(game)`, `.seed(seed)` (numpy `RandomState(seed)`), `.reset()`; the
 * previous action starts as no-op. `reset()` without a seed continues the stream and, as MinAtar does,
 * keeps the previous action from the last episode. Seeds 0..2^32 − 1 are numpy's integer seeds; larger ones
 * (tsgym's derived stream seeds go up to 2^53 − 1, numpy refuses them) seed as `RandomState([low 32 bits,
 * high 32 bits])`. A never-seeded env behaves as seeded with 0.
 *
 * ## Episode end
 * Terminated when the game ends (Freeway ends itself after 2500 frames, and MinAtar reports that as
 * terminal too). MinAtar sets no time limit; `make` truncates after 10 000 steps (as several Gymnasium
 * ports do) so that a policy that never loses Breakout or Space Invaders still ends its episodes;
 * `make(id, {}, { maxEpisodeSteps: null })` removes it. Stepping the bare env after the end returns
 * reward 0 and terminated, as MinAtar does (it still makes the sticky-action draw).
 *
 * ## Arguments
 * `make('MinAtar/Breakout-v0', { stickyActionProb?: number in [0, 1], difficultyRamping?: boolean })`:
 * MinAtar's `sticky_action_prob` (0.1) and `difficulty_ramping` (true; Asterix, Seaquest and Space Invaders
 * speed up as play goes on).
 *
 * ## Version history
 * - v0 / v1 (tsgym): MinAtar 1.0.15 (commit 4241f24) with the full / minimal action set, as MinAtar's gym
 *   registrations.
 */
import { BaseEnv, ResetNeededError, assertAction, describeValue, rangeOption, rejectUnknownOptions, type OptionRange } from '../core.js';
import type { RenderState, ResetArgs, ResetResult, StepResult } from '../core.js';
import { Box, Discrete } from '../spaces.js';
import { StateReader } from '../state-check.js';
import { NumpyRandomState } from '../../core/numpy-random.js';
import { TsgymError } from '../../core/errors.js';
import { GRID, NOOP, NUM_ACTIONS, type MinAtarGame } from './common.js';
import { AsterixGame } from './asterix.js';
import { BreakoutGame } from './breakout.js';
import { FreewayGame } from './freeway.js';
import { SeaquestGame } from './seaquest.js';
import { SpaceInvadersGame } from './space-invaders.js';

export type MinAtarGameName = 'asterix' | 'breakout' | 'freeway' | 'seaquest' | 'space_invaders';

export interface MinAtarGameInfo {
  /** MinAtar's module name. */
  name: MinAtarGameName;
  /** The id stem: `MinAtar/<title>-v0`. */
  title: string;
  summary: string;
  create: (ramping: boolean) => MinAtarGame;
}

export const MINATAR_GAMES: readonly MinAtarGameInfo[] = [
  { name: 'asterix', title: 'Asterix', summary: 'pick up gold and dodge enemies that cross the screen', create: (r) => new AsterixGame(r) },
  { name: 'breakout', title: 'Breakout', summary: 'bounce a ball into three rows of bricks', create: (r) => new BreakoutGame(r) },
  { name: 'freeway', title: 'Freeway', summary: 'cross eight lanes of traffic, again and again for 2500 frames', create: (r) => new FreewayGame(r) },
  { name: 'seaquest', title: 'Seaquest', summary: 'shoot fish and subs, rescue divers, surface for oxygen', create: (r) => new SeaquestGame(r) },
  { name: 'space_invaders', title: 'SpaceInvaders', summary: 'shoot down a marching block of aliens', create: (r) => new SpaceInvadersGame(r) },
];

/** Steps after which `make` truncates a MinAtar episode (MinAtar itself has no limit). */
export const MINATAR_MAX_EPISODE_STEPS = 10_000;

export interface MinAtarOptions {
  /** Probability that the previous action is repeated instead of the chosen one (MinAtar's `sticky_action_prob`). */
  stickyActionProb?: number;
  /** Whether Asterix, Seaquest and Space Invaders get harder as play goes on (MinAtar's `difficulty_ramping`). */
  difficultyRamping?: boolean;
}

/** A MinAtar frame for the viewer: one channel bitmask per cell (bit c = channel c), row-major. */
export interface MinAtarRenderState extends RenderState {
  kind: 'minatar';
  game: MinAtarGameName;
  channels: string[];
  cells: number[];
  terminated: boolean;
}

/** `stickyActionProb` is a probability. */
export const MINATAR_STICKY_RANGE: OptionRange = { min: 0, max: 1 };

export class MinAtarEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace: Box;
  readonly actionSpace: Discrete;
  readonly game: MinAtarGame;
  /** Full-set action for each action of this env's action space. */
  readonly actionSet: readonly number[];
  readonly stickyActionProb: number;
  readonly difficultyRamping: boolean;
  private readonly numChannels: number;
  private random: NumpyRandomState | undefined;
  /** The full-set action applied on the previous step (what a sticky step repeats). */
  private lastAction = NOOP;

  constructor(readonly gameName: MinAtarGameName, minimalActionSet: boolean, options: MinAtarOptions = {}) {
    super();
    const info = MINATAR_GAMES.find((g) => g.name === gameName);
    if (!info) throw new TsgymError(`MinAtar: unknown game ${describeValue(gameName)}; games: ${MINATAR_GAMES.map((g) => g.name).join(', ')}`);
    const what = `MinAtar/${info.title}`;
    rejectUnknownOptions(what, options as Record<string, unknown>, ['stickyActionProb', 'difficultyRamping']);
    const p = rangeOption(what, options as Record<string, unknown>, 'stickyActionProb', 0.1, MINATAR_STICKY_RANGE);
    const ramping = options.difficultyRamping ?? true;
    if (typeof ramping !== 'boolean') throw new TsgymError(`${what}: option 'difficultyRamping' must be true or false, got ${describeValue(ramping)}`);
    this.stickyActionProb = p;
    this.difficultyRamping = ramping;
    this.game = info.create(ramping);
    this.numChannels = this.game.channels.length;
    this.actionSet = minimalActionSet ? [...this.game.minimalActions] : Array.from({ length: NUM_ACTIONS }, (_, i) => i);
    this.observationSpace = new Box(0, 1, [GRID, GRID, this.numChannels]);
    this.actionSpace = new Discrete(this.actionSet.length);
  }

  reset(args: ResetArgs = {}): ResetResult<Float32Array> {
    rejectUnknownOptions(this.id, args.options, []);
    if (args.seed !== undefined || !this.random) {
      this.random = minatarStream(this.id, args.seed ?? 0);
      this.lastAction = NOOP;
    }
    this.game.random = this.random;
    this.game.reset();
    return { obs: this.observation(), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    if (!this.actionSpace.contains(action)) assertAction(this.id, this.actionSpace, action);
    const random = this.random;
    if (!random) throw new ResetNeededError(`${this.id}: step() called before reset(); call env.reset() first`);
    let a = this.actionSet[action];
    if (random.randomSample() < this.stickyActionProb) a = this.lastAction;
    this.lastAction = a;
    const reward = this.game.act(a);
    return { obs: this.observation(), reward, terminated: this.game.terminal, truncated: false, info: {} };
  }

  private observation(): Float32Array {
    const obs = new Float32Array(GRID * GRID * this.numChannels);
    this.game.writeObservation(obs);
    return obs;
  }

  /** MinAtar's `difficulty_ramp()`: the current difficulty level, or null for games that do not ramp. */
  difficultyRamp(): number | null {
    return this.game.difficultyRamp();
  }

  renderState(): MinAtarRenderState {
    const obs = this.observation();
    const C = this.numChannels;
    const cells = new Array<number>(GRID * GRID).fill(0);
    for (let i = 0; i < GRID * GRID; i++) for (let c = 0; c < C; c++) if (obs[i * C + c]) cells[i] |= 1 << c;
    return { kind: 'minatar', game: this.gameName, channels: [...this.game.channels], cells, terminated: this.game.terminal };
  }

  getState(): unknown {
    const rng = this.random?.snapshot();
    return { kind: 'MinAtar', game: this.gameName, rngKey: rng?.key ?? null, rngPos: rng?.pos ?? null, lastAction: this.lastAction, state: this.game.snapshot() };
  }

  setState(s: unknown): void {
    // Every field is read and checked first; the game checks its own state before assigning any of it.
    const r = new StateReader(this.id, 'MinAtar', s);
    r.oneOf('game', [this.gameName]);
    const rngKey = r.nullable('rngKey', (x, k) => x.numbers(k, 624, { integer: true, min: 0, max: 0xffffffff }));
    const rngPos = r.nullable('rngPos', (x, k) => x.int(k, 0, 624));
    if ((rngKey === null) !== (rngPos === null)) throw new TsgymError(`${this.id}: setState(): 'rngKey' and 'rngPos' must both be set or both be null`);
    const lastAction = r.int('lastAction', 0, NUM_ACTIONS - 1);
    this.game.restore(new StateReader(this.id, `MinAtar/${this.gameName}`, r.raw('state')));
    this.random = rngKey && rngPos !== null ? NumpyRandomState.fromSnapshot({ key: rngKey, pos: rngPos }) : undefined;
    if (this.random) this.game.random = this.random;
    this.lastAction = lastAction;
  }
}

/** Names of MinAtar's full action set, by action. */
export const MINATAR_ACTION_NAMES = ['no-op', 'left', 'up', 'right', 'down', 'fire'] as const;

/**
 * The full-set action behind each action of a MinAtar env id (`MinAtar/<Game>-v0`: all six, `-v1`: the
 * game's minimal set), or null when the id is not a MinAtar one. For key maps and action labels.
 */
export function minatarActionSet(envId: string): readonly number[] | null {
  const m = /^MinAtar\/(\w+)-v([01])$/.exec(envId);
  const game = m && MINATAR_GAMES.find((g) => g.title === m[1]);
  if (!m || !game) return null;
  return m[2] === '1' ? [...game.create(true).minimalActions] : Array.from({ length: NUM_ACTIONS }, (_, i) => i);
}

/** The numpy stream for a reset seed (see "Sticky actions and seeding" above). */
function minatarStream(envId: string, seed: number): NumpyRandomState {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new TsgymError(`${envId}: reset seed must be an integer from 0 to 2^53 − 1, got ${describeValue(seed)}`);
  return seed <= 0xffffffff ? new NumpyRandomState(seed) : new NumpyRandomState([seed >>> 0, Math.floor(seed / 2 ** 32)]);
}
