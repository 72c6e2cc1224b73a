/**
 * MinAtar Freeway: a chicken crosses eight lanes of traffic from the bottom row to the top. It can move one
 * cell up or down at most every 3 frames. +1 each time it reaches the top, after which it starts again at
 * the bottom and every car gets a new random speed and direction; a car that hits it sends it back to the
 * bottom. The episode ends (terminates, as in MinAtar) after 2500 frames. Channels: chicken, car, and five
 * trail channels — the car's previous cell, in the channel of its speed (moves every 1..5 frames).
 * No difficulty ramp.
 *
 * The rules are MinAtar's (minatar/environments/freeway.py), in the same order.
 */
import { DOWN, MinAtarGame, NOOP, UP, readTuples, setCell } from './common.js';
import type { StateReader } from '../state-check.js';

/** Frames between chicken moves. */
export const FREEWAY_PLAYER_SPEED = 3;
/** Frames per episode. */
export const FREEWAY_TIME_LIMIT = 2500;
const NUM_CARS = 8;
const CAR_BOUNDS = [[0, 9], [1, 8], [0, 5], [-5, 5]] as const;

export class FreewayGame extends MinAtarGame {
  readonly channels = ['chicken', 'car', 'speed1', 'speed2', 'speed3', 'speed4', 'speed5'] as const;
  readonly minimalActions = [NOOP, UP, DOWN];
  /** Each car is [x, lane row, frames until it moves, speed (sign = direction)]. */
  cars: number[][] = [];
  pos = 9;
  moveTimer = FREEWAY_PLAYER_SPEED;
  terminateTimer = FREEWAY_TIME_LIMIT;

  reset(): void {
    this.randomizeCars(true);
    this.pos = 9;
    this.moveTimer = FREEWAY_PLAYER_SPEED;
    this.terminateTimer = FREEWAY_TIME_LIMIT;
    this.terminal = false;
  }

  /** New speeds (1..5) and directions for every car; new positions too when `initialize`. */
  private randomizeCars(initialize: boolean): void {
    const speeds = this.random.randintArray(1, 6, NUM_CARS);
    const coins = this.random.rand(NUM_CARS);
    for (let i = 0; i < NUM_CARS; i++) {
      const d = coins[i] - 0.5;
      speeds[i] *= d > 0 ? 1 : d < 0 ? -1 : 0; // np.sign
    }
    if (initialize) this.cars = speeds.map((s, i) => [0, i + 1, Math.abs(s), s]);
    else for (let i = 0; i < NUM_CARS; i++) [this.cars[i][2], this.cars[i][3]] = [Math.abs(speeds[i]), speeds[i]];
  }

  act(action: number): number {
    let r = 0;
    if (this.terminal) return r;
    if (action === UP && this.moveTimer === 0) {
      this.moveTimer = FREEWAY_PLAYER_SPEED;
      this.pos = Math.max(0, this.pos - 1);
    } else if (action === DOWN && this.moveTimer === 0) {
      this.moveTimer = FREEWAY_PLAYER_SPEED;
      this.pos = Math.min(9, this.pos + 1);
    }
    if (this.pos === 0) {
      r += 1;
      this.randomizeCars(false);
      this.pos = 9;
    }
    for (const car of this.cars) {
      if (car[0] === 4 && car[1] === this.pos) this.pos = 9;
      if (car[2] === 0) {
        car[2] = Math.abs(car[3]);
        car[0] += car[3] > 0 ? 1 : -1;
        if (car[0] < 0) car[0] = 9;
        else if (car[0] > 9) car[0] = 0;
        if (car[0] === 4 && car[1] === this.pos) this.pos = 9;
      } else {
        car[2] -= 1;
      }
    }
    if (this.moveTimer > 0) this.moveTimer -= 1;
    this.terminateTimer -= 1;
    if (this.terminateTimer < 0) this.terminal = true;
    return r;
  }

  writeObservation(obs: Float32Array): void {
    const C = 7;
    setCell(obs, C, this.pos, 4, 0);
    for (const car of this.cars) {
      setCell(obs, C, car[1], car[0], 1);
      let backX = car[3] > 0 ? car[0] - 1 : car[0] + 1;
      if (backX < 0) backX = 9;
      else if (backX > 9) backX = 0;
      const speed = Math.abs(car[3]);
      if (speed >= 1 && speed <= 5) setCell(obs, C, car[1], backX, 1 + speed);
    }
  }

  snapshot(): Record<string, unknown> {
    return { cars: this.cars.map((c) => [...c]), pos: this.pos, moveTimer: this.moveTimer, terminateTimer: this.terminateTimer, terminal: this.terminal };
  }

  restore(r: StateReader): void {
    const cars = readTuples(r, 'cars', CAR_BOUNDS, { length: NUM_CARS });
    const pos = r.int('pos', 0, 9);
    const moveTimer = r.int('moveTimer', 0, FREEWAY_PLAYER_SPEED);
    const terminateTimer = r.int('terminateTimer', -1, FREEWAY_TIME_LIMIT);
    const terminal = r.bool('terminal');
    Object.assign(this, { cars, pos, moveTimer, terminateTimer, terminal });
  }
}
