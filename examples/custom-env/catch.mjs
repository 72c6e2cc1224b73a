/**
 * CatchBall-v0: a ball falls down a 5 × 6 grid from a random column, one row per step; the paddle on the
 * bottom row moves left, stays or moves right. Catching the ball pays +1, missing it −1, and the episode ends.
 *
 *   Observation  Box(0, 1, [3]): ball column, ball row, paddle column, each scaled to [0, 1]
 *   Action       Discrete(3): 0 left, 1 stay, 2 right
 *
 * Load it into any tsgym command with `--env-module ./catch.mjs`.
 */
import { BaseEnv, Box, Discrete, Rng, StateReader, assertAction, register } from 'tsgym';

const WIDTH = 5;
const HEIGHT = 6;

export class CatchBallEnv extends BaseEnv {
  observationSpace = new Box(0, 1, [3]);
  actionSpace = new Discrete(3);
  ball = [0, 0];
  paddle = 2;

  reset({ seed } = {}) {
    const rng = this.seedStream(seed); // reset({seed}) reseeds; reset() continues the stream
    this.ball = [rng.int(WIDTH), 0];
    this.paddle = Math.floor(WIDTH / 2);
    return { obs: this.obs(), info: {} };
  }

  step(action) {
    assertAction(this.id, this.actionSpace, action);
    this.paddle = Math.min(WIDTH - 1, Math.max(0, this.paddle + action - 1));
    this.ball[1] += 1;
    const landed = this.ball[1] === HEIGHT - 1;
    const reward = landed ? (this.ball[0] === this.paddle ? 1 : -1) : 0;
    return { obs: this.obs(), reward, terminated: landed, truncated: false, info: {} };
  }

  obs() {
    return new Float32Array([this.ball[0] / (WIDTH - 1), this.ball[1] / (HEIGHT - 1), this.paddle / (WIDTH - 1)]);
  }

  // What the viewer draws: numbers become a labelled table in its generic scene.
  renderState() {
    return { kind: 'catch', ballColumn: this.ball[0], ballRow: this.ball[1], paddle: this.paddle };
  }

  // Snapshots make checkpoints resume the env exactly; StateReader checks a snapshot before it is used.
  getState() {
    return { kind: 'catch', ball: [...this.ball], paddle: this.paddle, rng: this.seedStream(undefined).state() };
  }

  setState(snapshot) {
    const r = new StateReader(this.id, 'catch', snapshot);
    const ball = r.numbers('ball', 2, { integer: true, min: 0, max: HEIGHT - 1 });
    const paddle = r.int('paddle', 0, WIDTH - 1);
    const rng = Rng.fromState(r.rng('rng'));
    [this.ball, this.paddle, this.rng] = [[...ball], paddle, rng];
  }
}

register({ id: 'CatchBall-v0', description: 'Catch a falling ball with a paddle (5 × 6 grid)', maxEpisodeSteps: 20, rewardThreshold: 0.9, create: () => new CatchBallEnv() });
