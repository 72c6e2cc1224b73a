/**
 * MinAtar Seaquest: the player's submarine (two cells, front and back, so its heading shows) shoots enemy
 * fish and enemy subs (+1 each) and picks up divers. Oxygen runs down below the surface; surfacing with at
 * least one diver refills it and costs one diver, surfacing with six gives one point per tenth of oxygen
 * left and empties the sub. Hit by a fish, a sub or an enemy bullet, out of oxygen, or surfacing with no
 * diver: the episode ends. Channels: sub front, sub back, friendly bullet, trail, enemy bullet, enemy fish,
 * enemy sub, oxygen gauge, diver gauge, diver. With difficulty ramping, each surfacing makes enemies spawn
 * more often and (every second time) move faster.
 *
 * The rules are MinAtar's (minatar/environments/seaquest.py), in the same order, with Python's list
 * behaviour where the loops remove entities while iterating in reverse (see common.ts). MinAtar's own quirk
 * is kept: surfacing with six divers leaves the diver count at −1, so the next surfacing without a diver
 * does not end the episode (and the diver gauge shows none).
 */
import { DOWN, FIRE, LEFT, MinAtarGame, NOOP, RIGHT, UP, at, forEachReversed, readTuples, removeFirstEqual, setCell } from './common.js';
import type { StateReader } from '../state-check.js';
import { TsgymError } from '../../core/errors.js';

export const SEAQUEST_MAX_OXYGEN = 200;
export const SEAQUEST_INIT_SPAWN_SPEED = 20;
export const SEAQUEST_DIVER_SPAWN_SPEED = 30;
export const SEAQUEST_INIT_MOVE_INTERVAL = 5;
export const SEAQUEST_SHOT_COOL_DOWN = 5;
export const SEAQUEST_ENEMY_SHOT_INTERVAL = 10;
export const SEAQUEST_DIVER_MOVE_INTERVAL = 5;
const MAX_DIVERS = 6;

const X = [0, 9] as const;
const ROW = [1, 8] as const;
const FLAG = [0, 1] as const;

export class SeaquestGame extends MinAtarGame {
  readonly channels = ['sub_front', 'sub_back', 'friendly_bullet', 'trail', 'enemy_bullet', 'enemy_fish', 'enemy_sub', 'oxygen_guage', 'diver_guage', 'diver'] as const;
  readonly minimalActions = [NOOP, LEFT, UP, RIGHT, DOWN, FIRE];
  oxygen = SEAQUEST_MAX_OXYGEN;
  diverCount = 0;
  subX = 5;
  subY = 0;
  /** Heading: true = right. */
  subOr = false;
  /** [x, y, heading right 0/1] */
  fBullets: number[][] = [];
  /** [x, y, moving right 0/1] */
  eBullets: number[][] = [];
  /** [x, y, moving right 0/1, frames until it moves] */
  eFish: number[][] = [];
  /** [x, y, moving right 0/1, frames until it moves, frames until it fires] */
  eSubs: number[][] = [];
  /** [x, y, moving right 0/1, frames until it moves] */
  divers: number[][] = [];
  eSpawnSpeed = SEAQUEST_INIT_SPAWN_SPEED;
  eSpawnTimer = SEAQUEST_INIT_SPAWN_SPEED;
  dSpawnTimer = SEAQUEST_DIVER_SPAWN_SPEED;
  moveSpeed = SEAQUEST_INIT_MOVE_INTERVAL;
  rampIndex = 0;
  shotTimer = 0;
  /** Whether the sub was already on the surface (surfacing counts once). */
  surface = true;

  reset(): void {
    this.oxygen = SEAQUEST_MAX_OXYGEN;
    this.diverCount = 0;
    this.subX = 5;
    this.subY = 0;
    this.subOr = false;
    this.fBullets = [];
    this.eBullets = [];
    this.eFish = [];
    this.eSubs = [];
    this.divers = [];
    this.eSpawnSpeed = SEAQUEST_INIT_SPAWN_SPEED;
    this.eSpawnTimer = this.eSpawnSpeed;
    this.dSpawnTimer = SEAQUEST_DIVER_SPAWN_SPEED;
    this.moveSpeed = SEAQUEST_INIT_MOVE_INTERVAL;
    this.rampIndex = 0;
    this.shotTimer = 0;
    this.surface = true;
    this.terminal = false;
  }

  override difficultyRamp(): number {
    return this.rampIndex;
  }

  act(action: number): number {
    let r = 0;
    if (this.terminal) return r;
    if (this.eSpawnTimer === 0) {
      this.spawnEnemy();
      this.eSpawnTimer = this.eSpawnSpeed;
    }
    if (this.dSpawnTimer === 0) {
      this.spawnDiver();
      this.dSpawnTimer = SEAQUEST_DIVER_SPAWN_SPEED;
    }

    if (action === FIRE && this.shotTimer === 0) {
      this.fBullets.push([this.subX, this.subY, this.subOr ? 1 : 0]);
      this.shotTimer = SEAQUEST_SHOT_COOL_DOWN;
    } else if (action === LEFT) {
      this.subX = Math.max(0, this.subX - 1);
      this.subOr = false;
    } else if (action === RIGHT) {
      this.subX = Math.min(9, this.subX + 1);
      this.subOr = true;
    } else if (action === UP) {
      this.subY = Math.max(0, this.subY - 1);
    } else if (action === DOWN) {
      this.subY = Math.min(8, this.subY + 1);
    }

    // Friendly bullets.
    forEachReversed(this.fBullets, (bullet) => {
      bullet[0] += bullet[2] ? 1 : -1;
      if (bullet[0] < 0 || bullet[0] > 9) {
        removeFirstEqual(this.fBullets, bullet);
        return;
      }
      for (const x of this.eFish) {
        if (at(x, bullet[0], bullet[1])) {
          removeFirstEqual(this.eFish, x);
          removeFirstEqual(this.fBullets, bullet);
          r += 1;
          return;
        }
      }
      for (const x of this.eSubs) {
        if (at(x, bullet[0], bullet[1])) {
          removeFirstEqual(this.eSubs, x);
          removeFirstEqual(this.fBullets, bullet);
          r += 1;
          return;
        }
      }
    });

    // Divers.
    forEachReversed(this.divers, (diver) => {
      if (at(diver, this.subX, this.subY) && this.diverCount < MAX_DIVERS) {
        removeFirstEqual(this.divers, diver);
        this.diverCount += 1;
      } else if (diver[3] === 0) {
        diver[3] = SEAQUEST_DIVER_MOVE_INTERVAL;
        diver[0] += diver[2] ? 1 : -1;
        if (diver[0] < 0 || diver[0] > 9) {
          removeFirstEqual(this.divers, diver);
        } else if (at(diver, this.subX, this.subY) && this.diverCount < MAX_DIVERS) {
          removeFirstEqual(this.divers, diver);
          this.diverCount += 1;
        }
      } else {
        diver[3] -= 1;
      }
    });

    // Enemy subs (which also fire every 10 frames), enemy bullets, enemy fish.
    forEachReversed(this.eSubs, (sub) => {
      r += this.moveEnemy(this.eSubs, sub);
      if (sub[4] === 0) {
        sub[4] = SEAQUEST_ENEMY_SHOT_INTERVAL;
        this.eBullets.push([sub[0], sub[1], sub[2]]);
      } else {
        sub[4] -= 1;
      }
    });
    forEachReversed(this.eBullets, (bullet) => {
      if (at(bullet, this.subX, this.subY)) this.terminal = true;
      bullet[0] += bullet[2] ? 1 : -1;
      if (bullet[0] < 0 || bullet[0] > 9) removeFirstEqual(this.eBullets, bullet);
      else if (at(bullet, this.subX, this.subY)) this.terminal = true;
    });
    forEachReversed(this.eFish, (fish) => {
      r += this.moveEnemy(this.eFish, fish);
    });

    if (this.eSpawnTimer > 0) this.eSpawnTimer -= 1;
    if (this.dSpawnTimer > 0) this.dSpawnTimer -= 1;
    if (this.shotTimer > 0) this.shotTimer -= 1;
    if (this.oxygen <= 0) this.terminal = true;
    if (this.subY > 0) {
      this.oxygen -= 1;
      this.surface = false;
    } else if (!this.surface) {
      if (this.diverCount === 0) this.terminal = true;
      else r += this.surfaceSub();
    }
    return r;
  }

  /**
   * One frame of an enemy fish or sub in `list`: it ends the episode where it meets the player, and when its
   * move timer runs out it moves a cell and leaves the grid, meets the player, or runs into a friendly bullet
   * (both removed; returns the reward 1).
   */
  private moveEnemy(list: number[][], enemy: number[]): number {
    if (at(enemy, this.subX, this.subY)) this.terminal = true;
    if (enemy[3] !== 0) {
      enemy[3] -= 1;
      return 0;
    }
    enemy[3] = this.moveSpeed;
    enemy[0] += enemy[2] ? 1 : -1;
    if (enemy[0] < 0 || enemy[0] > 9) {
      removeFirstEqual(list, enemy);
    } else if (at(enemy, this.subX, this.subY)) {
      this.terminal = true;
    } else {
      for (const x of this.fBullets) {
        if (at(enemy, x[0], x[1])) {
          removeFirstEqual(list, enemy);
          removeFirstEqual(this.fBullets, x);
          return 1;
        }
      }
    }
    return 0;
  }

  /** The sub reaches the surface with divers on board: refill oxygen, pay out for six divers, ramp up. */
  private surfaceSub(): number {
    this.surface = true;
    let r = 0;
    if (this.diverCount === MAX_DIVERS) {
      this.diverCount = 0;
      r = Math.floor((this.oxygen * 10) / SEAQUEST_MAX_OXYGEN);
    }
    this.oxygen = SEAQUEST_MAX_OXYGEN;
    this.diverCount -= 1;
    if (this.ramping && (this.eSpawnSpeed > 1 || this.moveSpeed > 2)) {
      if (this.moveSpeed > 2 && this.rampIndex % 2) this.moveSpeed -= 1;
      if (this.eSpawnSpeed > 1) this.eSpawnSpeed -= 1;
      this.rampIndex += 1;
    }
    return r;
  }

  /** A fish or (one time in three) a sub in a random row, unless that row has an enemy heading the other way. */
  private spawnEnemy(): void {
    const lr = this.random.randomSample() < 1 / 2 ? 1 : 0;
    const isSub = this.random.randomSample() < 1 / 3;
    const x = lr ? 0 : 9;
    const y = this.random.randint(1, 9);
    if (this.eSubs.some((z) => z[1] === y && z[2] !== lr) || this.eFish.some((z) => z[1] === y && z[2] !== lr)) return;
    if (isSub) this.eSubs.push([x, y, lr, this.moveSpeed, SEAQUEST_ENEMY_SHOT_INTERVAL]);
    else this.eFish.push([x, y, lr, this.moveSpeed]);
  }

  private spawnDiver(): void {
    const lr = this.random.randomSample() < 1 / 2 ? 1 : 0;
    const x = lr ? 0 : 9;
    const y = this.random.randint(1, 9);
    this.divers.push([x, y, lr, SEAQUEST_DIVER_MOVE_INTERVAL]);
  }

  writeObservation(obs: Float32Array): void {
    const C = 10;
    setCell(obs, C, this.subY, this.subX, 0);
    // The back cell is always on the grid: the sub can only face left away from column 9 and right away from 0.
    setCell(obs, C, this.subY, this.subOr ? this.subX - 1 : this.subX + 1, 1);
    const oxygenCells = Math.floor((Math.max(0, this.oxygen) * 10) / SEAQUEST_MAX_OXYGEN);
    for (let x = 0; x < oxygenCells; x++) setCell(obs, C, 9, x, 7);
    for (let x = Math.max(0, 9 - this.diverCount); x < 9; x++) setCell(obs, C, 9, x, 8);
    for (const b of this.fBullets) setCell(obs, C, b[1], b[0], 2);
    for (const b of this.eBullets) setCell(obs, C, b[1], b[0], 4);
    const withTrail = (list: number[][], c: number) => {
      for (const e of list) {
        setCell(obs, C, e[1], e[0], c);
        const backX = e[2] ? e[0] - 1 : e[0] + 1;
        if (backX >= 0 && backX <= 9) setCell(obs, C, e[1], backX, 3);
      }
    };
    withTrail(this.eFish, 5);
    withTrail(this.eSubs, 6);
    withTrail(this.divers, 9);
  }

  snapshot(): Record<string, unknown> {
    const copy = (l: number[][]) => l.map((e) => [...e]);
    const { oxygen, diverCount, subX, subY, subOr, eSpawnSpeed, eSpawnTimer, dSpawnTimer, moveSpeed, rampIndex, shotTimer, surface, terminal } = this;
    return {
      oxygen, diverCount, subX, subY, subOr, eSpawnSpeed, eSpawnTimer, dSpawnTimer, moveSpeed, rampIndex, shotTimer, surface, terminal,
      fBullets: copy(this.fBullets), eBullets: copy(this.eBullets), eFish: copy(this.eFish), eSubs: copy(this.eSubs), divers: copy(this.divers),
    };
  }

  restore(r: StateReader): void {
    const oxygen = r.int('oxygen', -1, SEAQUEST_MAX_OXYGEN);
    const diverCount = r.int('diverCount', -1000, MAX_DIVERS);
    const subX = r.int('subX', 0, 9);
    const subY = r.int('subY', 0, 8);
    const subOr = r.bool('subOr');
    const moveSpeed = r.int('moveSpeed', 1, SEAQUEST_INIT_MOVE_INTERVAL);
    const eSpawnSpeed = r.int('eSpawnSpeed', 1, SEAQUEST_INIT_SPAWN_SPEED);
    const eSpawnTimer = r.int('eSpawnTimer', 0, SEAQUEST_INIT_SPAWN_SPEED);
    const dSpawnTimer = r.int('dSpawnTimer', 0, SEAQUEST_DIVER_SPAWN_SPEED);
    const rampIndex = r.int('rampIndex', 0);
    const shotTimer = r.int('shotTimer', 0, SEAQUEST_SHOT_COOL_DOWN);
    const surface = r.bool('surface');
    const terminal = r.bool('terminal');
    const timer = [0, SEAQUEST_INIT_MOVE_INTERVAL] as const;
    const fBullets = readTuples(r, 'fBullets', [X, [0, 8], FLAG]);
    const eBullets = readTuples(r, 'eBullets', [X, ROW, FLAG]);
    const eFish = readTuples(r, 'eFish', [X, ROW, FLAG, timer]);
    const eSubs = readTuples(r, 'eSubs', [X, ROW, FLAG, timer, [0, SEAQUEST_ENEMY_SHOT_INTERVAL]]);
    const divers = readTuples(r, 'divers', [X, ROW, FLAG, [0, SEAQUEST_DIVER_MOVE_INTERVAL]]);
    if ((subOr && subX === 0) || (!subOr && subX === 9)) throw new TsgymError(`${r.envId}: setState(): a sub facing ${subOr ? 'right' : 'left'} cannot be at column ${subX} (its back cell would be off the grid)`);
    Object.assign(this, { oxygen, diverCount, subX, subY, subOr, eSpawnSpeed, eSpawnTimer, dSpawnTimer, moveSpeed, rampIndex, shotTimer, surface, terminal, fBullets, eBullets, eFish, eSubs, divers });
  }
}
