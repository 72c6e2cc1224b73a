/**
 * MinAtar Space Invaders: a cannon on the bottom row shoots up at a 4×6 block of aliens that marches
 * sideways and steps down one row at each edge. +1 per alien shot. The alien nearest the cannon (by column)
 * fires every 10 frames; the episode ends when an alien or an alien bullet reaches the cannon, or the block
 * steps down from the bottom row. The block moves faster as it thins out (one cell per frame for the last
 * alien); with difficulty ramping each new wave starts faster than the last. Channels: cannon, alien, alien
 * moving left, alien moving right, friendly bullet, enemy bullet.
 *
 * The rules are MinAtar's (minatar/environments/space_invaders.py), in the same order, including numpy's
 * `roll` wrap-around: a block that steps down from the bottom row reappears on the top row in the final frame.
 */
import { FIRE, GRID, LEFT, MinAtarGame, NOOP, RIGHT, countNonzero, readMap, setCell, setChannel } from './common.js';
import { TsgymError } from '../../core/errors.js';
import type { StateReader } from '../state-check.js';

export const SPACE_INVADERS_SHOT_COOL_DOWN = 5;
export const SPACE_INVADERS_ENEMY_MOVE_INTERVAL = 12;
export const SPACE_INVADERS_ENEMY_SHOT_INTERVAL = 10;

export class SpaceInvadersGame extends MinAtarGame {
  readonly channels = ['cannon', 'alien', 'alien_left', 'alien_right', 'friendly_bullet', 'enemy_bullet'] as const;
  readonly minimalActions = [NOOP, LEFT, RIGHT, FIRE];
  pos = 5;
  fBulletMap: Uint8Array = new Uint8Array(GRID * GRID);
  eBulletMap: Uint8Array = new Uint8Array(GRID * GRID);
  alienMap: Uint8Array = new Uint8Array(GRID * GRID);
  alienDir = -1;
  enemyMoveInterval = SPACE_INVADERS_ENEMY_MOVE_INTERVAL;
  alienMoveTimer = SPACE_INVADERS_ENEMY_MOVE_INTERVAL;
  alienShotTimer = SPACE_INVADERS_ENEMY_SHOT_INTERVAL;
  rampIndex = 0;
  shotTimer = 0;

  reset(): void {
    this.pos = 5;
    this.fBulletMap.fill(0);
    this.eBulletMap.fill(0);
    this.alienMap.fill(0);
    this.fillAliens();
    this.alienDir = -1;
    this.enemyMoveInterval = SPACE_INVADERS_ENEMY_MOVE_INTERVAL;
    this.alienMoveTimer = this.enemyMoveInterval;
    this.alienShotTimer = SPACE_INVADERS_ENEMY_SHOT_INTERVAL;
    this.rampIndex = 0;
    this.shotTimer = 0;
    this.terminal = false;
  }

  /** A new wave: rows 0..3, columns 2..7. */
  private fillAliens(): void {
    for (let y = 0; y < 4; y++) this.alienMap.fill(1, y * GRID + 2, y * GRID + 8);
  }

  override difficultyRamp(): number {
    return this.rampIndex;
  }

  act(action: number): number {
    let r = 0;
    if (this.terminal) return r;
    if (action === FIRE && this.shotTimer === 0) {
      this.fBulletMap[9 * GRID + this.pos] = 1;
      this.shotTimer = SPACE_INVADERS_SHOT_COOL_DOWN;
    } else if (action === LEFT) {
      this.pos = Math.max(0, this.pos - 1);
    } else if (action === RIGHT) {
      this.pos = Math.min(9, this.pos + 1);
    }

    // Friendly bullets move up a row, enemy bullets down (numpy's roll, then the row that wrapped is cleared).
    this.fBulletMap.copyWithin(0, GRID);
    this.fBulletMap.fill(0, 9 * GRID);
    this.eBulletMap.copyWithin(GRID, 0, 9 * GRID);
    this.eBulletMap.fill(0, 0, GRID);
    if (this.eBulletMap[9 * GRID + this.pos]) this.terminal = true;

    if (this.alienMap[9 * GRID + this.pos]) this.terminal = true;
    if (this.alienMoveTimer === 0) {
      this.alienMoveTimer = Math.min(countNonzero(this.alienMap), this.enemyMoveInterval);
      if ((columnHas(this.alienMap, 0) && this.alienDir < 0) || (columnHas(this.alienMap, 9) && this.alienDir > 0)) {
        this.alienDir = -this.alienDir;
        if (this.alienMap.subarray(9 * GRID).some((v) => v > 0)) this.terminal = true;
        this.alienMap = rollRows(this.alienMap, 1);
      } else {
        this.alienMap = rollColumns(this.alienMap, this.alienDir);
      }
      if (this.alienMap[9 * GRID + this.pos]) this.terminal = true;
    }
    if (this.alienShotTimer === 0) {
      this.alienShotTimer = SPACE_INVADERS_ENEMY_SHOT_INTERVAL;
      const [y, x] = this.nearestAlien(this.pos);
      this.eBulletMap[y * GRID + x] = 1;
    }

    for (let i = 0; i < GRID * GRID; i++) {
      if (this.alienMap[i] && this.fBulletMap[i]) {
        r += 1;
        this.alienMap[i] = 0;
        this.fBulletMap[i] = 0;
      }
    }

    if (this.shotTimer > 0) this.shotTimer -= 1;
    this.alienMoveTimer -= 1;
    this.alienShotTimer -= 1;
    if (countNonzero(this.alienMap) === 0) {
      if (this.enemyMoveInterval > 6 && this.ramping) {
        this.enemyMoveInterval -= 1;
        this.rampIndex += 1;
      }
      this.fillAliens();
    }
    return r;
  }

  /**
   * The lowest alien of the nearest column that has one: columns by distance to `pos`, ties to the left
   * (MinAtar's stable sort of 0..9 by |x − pos|). Returns [row, column].
   */
  private nearestAlien(pos: number): [number, number] {
    for (let d = 0; d < GRID; d++) {
      for (const x of d === 0 ? [pos] : [pos - d, pos + d]) {
        if (x < 0 || x > 9) continue;
        for (let y = 9; y >= 0; y--) if (this.alienMap[y * GRID + x]) return [y, x];
      }
    }
    throw new TsgymError('SpaceInvaders: no alien left to fire');
  }

  writeObservation(obs: Float32Array): void {
    const C = 6;
    setCell(obs, C, 9, this.pos, 0);
    setChannel(obs, C, this.alienMap, 1);
    setChannel(obs, C, this.alienMap, this.alienDir < 0 ? 2 : 3);
    setChannel(obs, C, this.fBulletMap, 4);
    setChannel(obs, C, this.eBulletMap, 5);
  }

  snapshot(): Record<string, unknown> {
    const { pos, alienDir, enemyMoveInterval, alienMoveTimer, alienShotTimer, rampIndex, shotTimer, terminal } = this;
    return {
      pos, alienDir, enemyMoveInterval, alienMoveTimer, alienShotTimer, rampIndex, shotTimer, terminal,
      fBulletMap: Array.from(this.fBulletMap), eBulletMap: Array.from(this.eBulletMap), alienMap: Array.from(this.alienMap),
    };
  }

  restore(r: StateReader): void {
    const pos = r.int('pos', 0, 9);
    const alienDir = r.int('alienDir', -1, 1);
    if (alienDir === 0) throw new TsgymError(`${r.envId}: setState(): 'alienDir' must be -1 or 1, got 0`);
    const enemyMoveInterval = r.int('enemyMoveInterval', 1, SPACE_INVADERS_ENEMY_MOVE_INTERVAL);
    const alienMoveTimer = r.int('alienMoveTimer', -1, SPACE_INVADERS_ENEMY_MOVE_INTERVAL);
    const alienShotTimer = r.int('alienShotTimer', -1, SPACE_INVADERS_ENEMY_SHOT_INTERVAL);
    const rampIndex = r.int('rampIndex', 0);
    const shotTimer = r.int('shotTimer', 0, SPACE_INVADERS_SHOT_COOL_DOWN);
    const terminal = r.bool('terminal');
    const fBulletMap = readMap(r, 'fBulletMap');
    const eBulletMap = readMap(r, 'eBulletMap');
    const alienMap = readMap(r, 'alienMap');
    if (!terminal && countNonzero(alienMap) === 0) throw new TsgymError(`${r.envId}: setState(): 'alienMap' has no alien (a running game always has one)`);
    Object.assign(this, { pos, alienDir, enemyMoveInterval, alienMoveTimer, alienShotTimer, rampIndex, shotTimer, terminal, fBulletMap, eBulletMap, alienMap });
  }
}

/** numpy's `roll(map, shift, axis=0)` on a 10×10 map: row y moves to row y + shift, wrapping. */
function rollRows(map: Uint8Array, shift: number): Uint8Array {
  const out = new Uint8Array(GRID * GRID);
  for (let y = 0; y < GRID; y++) out.set(map.subarray(y * GRID, (y + 1) * GRID), (((y + shift) % GRID) + GRID) % GRID * GRID);
  return out;
}

/** numpy's `roll(map, shift, axis=1)` on a 10×10 map: column x moves to column x + shift, wrapping. */
function rollColumns(map: Uint8Array, shift: number): Uint8Array {
  const out = new Uint8Array(GRID * GRID);
  for (let y = 0; y < GRID; y++) for (let x = 0; x < GRID; x++) out[y * GRID + (((x + shift) % GRID) + GRID) % GRID] = map[y * GRID + x];
  return out;
}

function columnHas(map: Uint8Array, x: number): boolean {
  for (let y = 0; y < GRID; y++) if (map[y * GRID + x]) return true;
  return false;
}
