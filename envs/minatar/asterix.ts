/**
 * MinAtar Asterix: the player moves in the four directions on rows 1..8 while enemies and gold enter from
 * the sides, one per row at most. +1 per gold picked up; touching an enemy ends the episode. Channels:
 * player, enemy, trail (each entity's previous cell, which shows its direction) and gold. With difficulty
 * ramping, every 100 frames entities spawn more often and (every second time) move faster.
 *
 * The rules are MinAtar's (minatar/environments/asterix.py), in the same order; a spawn draws its side and
 * kind even when every row is taken (and then spawns nothing), as there.
 */
import { DOWN, LEFT, MinAtarGame, NOOP, RIGHT, UP, setCell } from './common.js';
import { TsgymError } from '../../core/errors.js';
import type { StateReader } from '../state-check.js';

export const ASTERIX_RAMP_INTERVAL = 100;
export const ASTERIX_INIT_SPAWN_SPEED = 10;
export const ASTERIX_INIT_MOVE_INTERVAL = 5;
const NUM_SLOTS = 8;

export class AsterixGame extends MinAtarGame {
  readonly channels = ['player', 'enemy', 'trail', 'gold'] as const;
  readonly minimalActions = [NOOP, LEFT, UP, RIGHT, DOWN];
  playerX = 5;
  playerY = 5;
  /** One slot per row 1..8: null, or [x, row, moving right (0/1), gold (0/1)]. */
  entities: (number[] | null)[] = new Array<number[] | null>(NUM_SLOTS).fill(null);
  spawnSpeed = ASTERIX_INIT_SPAWN_SPEED;
  spawnTimer = ASTERIX_INIT_SPAWN_SPEED;
  moveSpeed = ASTERIX_INIT_MOVE_INTERVAL;
  moveTimer = ASTERIX_INIT_MOVE_INTERVAL;
  rampTimer = ASTERIX_RAMP_INTERVAL;
  rampIndex = 0;

  reset(): void {
    this.playerX = 5;
    this.playerY = 5;
    this.entities = new Array<number[] | null>(NUM_SLOTS).fill(null);
    this.spawnSpeed = ASTERIX_INIT_SPAWN_SPEED;
    this.spawnTimer = this.spawnSpeed;
    this.moveSpeed = ASTERIX_INIT_MOVE_INTERVAL;
    this.moveTimer = this.moveSpeed;
    this.rampTimer = ASTERIX_RAMP_INTERVAL;
    this.rampIndex = 0;
    this.terminal = false;
  }

  override difficultyRamp(): number {
    return this.rampIndex;
  }

  act(action: number): number {
    let r = 0;
    if (this.terminal) return r;
    if (this.spawnTimer === 0) {
      this.spawnEntity();
      this.spawnTimer = this.spawnSpeed;
    }
    if (action === LEFT) this.playerX = Math.max(0, this.playerX - 1);
    else if (action === RIGHT) this.playerX = Math.min(9, this.playerX + 1);
    else if (action === UP) this.playerY = Math.max(1, this.playerY - 1);
    else if (action === DOWN) this.playerY = Math.min(8, this.playerY + 1);

    const e = this.entities;
    for (let i = 0; i < NUM_SLOTS; i++) {
      const x = e[i];
      if (x && x[0] === this.playerX && x[1] === this.playerY) {
        if (x[3]) {
          e[i] = null;
          r += 1;
        } else {
          this.terminal = true;
        }
      }
    }
    if (this.moveTimer === 0) {
      this.moveTimer = this.moveSpeed;
      for (let i = 0; i < NUM_SLOTS; i++) {
        const x = e[i];
        if (!x) continue;
        x[0] += x[2] ? 1 : -1;
        if (x[0] < 0 || x[0] > 9) e[i] = null;
        else if (x[0] === this.playerX && x[1] === this.playerY) {
          if (x[3]) {
            e[i] = null;
            r += 1;
          } else {
            this.terminal = true;
          }
        }
      }
    }
    this.spawnTimer -= 1;
    this.moveTimer -= 1;

    if (this.ramping && (this.spawnSpeed > 1 || this.moveSpeed > 1)) {
      if (this.rampTimer >= 0) {
        this.rampTimer -= 1;
      } else {
        if (this.moveSpeed > 1 && this.rampIndex % 2) this.moveSpeed -= 1;
        if (this.spawnSpeed > 1) this.spawnSpeed -= 1;
        this.rampIndex += 1;
        this.rampTimer = ASTERIX_RAMP_INTERVAL;
      }
    }
    return r;
  }

  /** An enemy or (one time in three) gold at a random free row, entering from a random side. */
  private spawnEntity(): void {
    const lr = this.random.randomSample() < 1 / 2;
    const isGold = this.random.randomSample() < 1 / 3;
    const x = lr ? 0 : 9;
    const slotOptions: number[] = [];
    for (let i = 0; i < NUM_SLOTS; i++) if (this.entities[i] === null) slotOptions.push(i);
    if (!slotOptions.length) return;
    const slot = slotOptions[this.random.randint(slotOptions.length)];
    this.entities[slot] = [x, slot + 1, lr ? 1 : 0, isGold ? 1 : 0];
  }

  writeObservation(obs: Float32Array): void {
    const C = 4;
    setCell(obs, C, this.playerY, this.playerX, 0);
    for (const x of this.entities) {
      if (!x) continue;
      setCell(obs, C, x[1], x[0], x[3] ? 3 : 1);
      const backX = x[2] ? x[0] - 1 : x[0] + 1;
      if (backX >= 0 && backX <= 9) setCell(obs, C, x[1], backX, 2);
    }
  }

  snapshot(): Record<string, unknown> {
    const { playerX, playerY, spawnSpeed, spawnTimer, moveSpeed, moveTimer, rampTimer, rampIndex, terminal } = this;
    return { playerX, playerY, entities: this.entities.map((x) => (x ? [...x] : null)), spawnSpeed, spawnTimer, moveSpeed, moveTimer, rampTimer, rampIndex, terminal };
  }

  restore(r: StateReader): void {
    const playerX = r.int('playerX', 0, 9);
    const playerY = r.int('playerY', 1, 8);
    const raw = r.raw('entities');
    const okEntity = (x: unknown, i: number) =>
      x === null || (Array.isArray(x) && x.length === 4 && x.every((v) => Number.isInteger(v)) && x[0] >= 0 && x[0] <= 9 && x[1] === i + 1 && (x[2] === 0 || x[2] === 1) && (x[3] === 0 || x[3] === 1));
    if (!Array.isArray(raw) || raw.length !== NUM_SLOTS || !raw.every(okEntity)) {
      throw new TsgymError(`${r.envId}: setState(): 'entities' must be ${NUM_SLOTS} slots, each null or [x 0..9, row (slot + 1), right 0/1, gold 0/1]`);
    }
    const spawnSpeed = r.int('spawnSpeed', 1, ASTERIX_INIT_SPAWN_SPEED);
    const spawnTimer = r.int('spawnTimer', -1, ASTERIX_INIT_SPAWN_SPEED);
    const moveSpeed = r.int('moveSpeed', 1, ASTERIX_INIT_MOVE_INTERVAL);
    const moveTimer = r.int('moveTimer', -1, ASTERIX_INIT_MOVE_INTERVAL);
    const rampTimer = r.int('rampTimer', -1, ASTERIX_RAMP_INTERVAL);
    const rampIndex = r.int('rampIndex', 0);
    const terminal = r.bool('terminal');
    const entities = (raw as (number[] | null)[]).map((x) => (x ? [...x] : null));
    Object.assign(this, { playerX, playerY, entities, spawnSpeed, spawnTimer, moveSpeed, moveTimer, rampTimer, rampIndex, terminal });
  }
}
