/**
 * MinAtar Breakout: a paddle on the bottom row bounces a ball that travels only along diagonals into three
 * rows of bricks. +1 per brick broken; when every brick is gone, three new rows appear as the ball comes
 * down. The episode ends when the ball reaches the bottom row without hitting the paddle. Channels: paddle,
 * ball, trail (the ball's previous cell, which shows its direction) and brick. No difficulty ramp.
 *
 * The rules are MinAtar's (minatar/environments/breakout.py), in the same order, including two quirks kept
 * on purpose: a ball that hits a brick on the step right after breaking one passes into it without breaking
 * it, and the paddle test uses the ball's column before the move, then the column after it.
 */
import { GRID, LEFT, MinAtarGame, RIGHT, NOOP, countNonzero, setCell, setChannel } from './common.js';
import type { StateReader } from '../state-check.js';

/** Ball directions 0..3: up-left, up-right, down-right, down-left. */
const DX = [-1, 1, 1, -1];
const DY = [-1, -1, 1, 1];
const BOUNCE_X = [1, 0, 3, 2];
const BOUNCE_Y = [3, 2, 1, 0];
const BOUNCE_PADDLE_EDGE = [2, 3, 0, 1];

export class BreakoutGame extends MinAtarGame {
  readonly channels = ['paddle', 'ball', 'trail', 'brick'] as const;
  readonly minimalActions = [NOOP, LEFT, RIGHT];
  ballX = 0;
  ballY = 3;
  ballDir = 2;
  pos = 4;
  lastX = 0;
  lastY = 3;
  strike = false;
  readonly brickMap = new Uint8Array(GRID * GRID);

  reset(): void {
    this.ballY = 3;
    const ballStart = this.random.randint(2);
    [this.ballX, this.ballDir] = ballStart === 0 ? [0, 2] : [9, 3];
    this.pos = 4;
    this.brickMap.fill(0);
    this.fillBricks();
    this.strike = false;
    this.lastX = this.ballX;
    this.lastY = this.ballY;
    this.terminal = false;
  }

  private fillBricks(): void {
    this.brickMap.fill(1, 1 * GRID, 4 * GRID);
  }

  act(action: number): number {
    let r = 0;
    if (this.terminal) return r;
    if (action === LEFT) this.pos = Math.max(0, this.pos - 1);
    else if (action === RIGHT) this.pos = Math.min(9, this.pos + 1);

    this.lastX = this.ballX;
    this.lastY = this.ballY;
    let newX = this.ballX + DX[this.ballDir];
    let newY = this.ballY + DY[this.ballDir];
    let strikeToggle = false;
    if (newX < 0 || newX > 9) {
      newX = newX < 0 ? 0 : 9;
      this.ballDir = BOUNCE_X[this.ballDir];
    }
    if (newY < 0) {
      newY = 0;
      this.ballDir = BOUNCE_Y[this.ballDir];
    } else if (this.brickMap[newY * GRID + newX] === 1) {
      strikeToggle = true;
      if (!this.strike) {
        r += 1;
        this.strike = true;
        this.brickMap[newY * GRID + newX] = 0;
        newY = this.lastY;
        this.ballDir = BOUNCE_Y[this.ballDir];
      }
    } else if (newY === 9) {
      if (countNonzero(this.brickMap) === 0) this.fillBricks();
      if (this.ballX === this.pos) {
        this.ballDir = BOUNCE_Y[this.ballDir];
        newY = this.lastY;
      } else if (newX === this.pos) {
        this.ballDir = BOUNCE_PADDLE_EDGE[this.ballDir];
        newY = this.lastY;
      } else {
        this.terminal = true;
      }
    }
    if (!strikeToggle) this.strike = false;
    this.ballX = newX;
    this.ballY = newY;
    return r;
  }

  writeObservation(obs: Float32Array): void {
    setCell(obs, 4, this.ballY, this.ballX, 1);
    setCell(obs, 4, 9, this.pos, 0);
    setCell(obs, 4, this.lastY, this.lastX, 2);
    setChannel(obs, 4, this.brickMap, 3);
  }

  snapshot(): Record<string, unknown> {
    const { ballX, ballY, ballDir, pos, lastX, lastY, strike, terminal } = this;
    return { ballX, ballY, ballDir, pos, lastX, lastY, strike, terminal, brickMap: Array.from(this.brickMap) };
  }

  restore(r: StateReader): void {
    const ballX = r.int('ballX', 0, 9);
    const ballY = r.int('ballY', 0, 9);
    const ballDir = r.int('ballDir', 0, 3);
    const pos = r.int('pos', 0, 9);
    const lastX = r.int('lastX', 0, 9);
    const lastY = r.int('lastY', 0, 9);
    const strike = r.bool('strike');
    const terminal = r.bool('terminal');
    const brickMap = r.numbers('brickMap', GRID * GRID, { integer: true, min: 0, max: 1 });
    Object.assign(this, { ballX, ballY, ballDir, pos, lastX, lastY, strike, terminal });
    this.brickMap.set(brickMap);
  }
}
