/**
 * Writes a small runs directory in the layout the training harness uses, for the server and viewer tests:
 * real episodes recorded with `RecordEpisode` from `make(...)` with simple seeded policies (random early,
 * a hand-written controller late), per env kind that is registered (cartpole always; a gridworld, a lane
 * keeper, a pendulum, a mountain car and an acrobot when present), plus a run of oddities: a corrupt replay,
 * a future-version replay, a render kind no scene knows, and a broken config.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listEnvs, make } from '../../envs/registry.js';
import { RecordEpisode, type RecordedEpisode } from '../../envs/wrappers.js';
import { Rng } from '../../core/rng.js';
import type { Action, RenderState } from '../../envs/core.js';
import { REPLAY_FORMAT, replayFromEpisode, type ReplayFile } from '../../render/replay-format.js';
import { writeReplayFile } from '../../render/replay-io.js';

export interface FixtureEpisode {
  run: string;
  /** Below the run's episodes/ directory. */
  path: string;
  envId: string;
  kind: string;
  length: number;
  return: number;
  checkpointStep: number;
}

export interface FixtureRuns {
  dir: string;
  runs: string[];
  episodes: FixtureEpisode[];
  /** The first (late-checkpoint) episode of each render kind written: 'cartpole', maybe 'gridworld', 'lanekeeper', 'pendulum', 'mountaincar', 'acrobot'. */
  byKind: Map<string, FixtureEpisode>;
  oddRun: string;
  corrupt: string;
  futureVersion: string;
  unknownKind: string;
  /** A run with no summary.json and a half-written last metrics line. */
  startingRun: string;
}

type Policy = (obs: Float32Array, state: RenderState, rng: Rng) => { action: Action; extras?: Record<string, unknown> };

interface EnvPlan {
  envId: string;
  kind: string;
  agent: string;
  seed: number;
  maxSteps?: number;
  early: Policy;
  late: Policy;
  values?: { values: number[]; policy: number[] };
}

const stepDir = (step: number) => `step-${String(step).padStart(9, '0')}`;

function randomPolicy(n: number): Policy {
  return (_obs, _s, rng) => ({ action: rng.int(n), extras: { probs: Array.from({ length: n }, () => 1 / n) } });
}

/** Pushes toward the pole's lean (with a little position feedback), reporting made-up Q-values around that score. */
const cartPoleController: Policy = (obs) => {
  const score = obs[2] + 0.5 * obs[3] + 0.02 * obs[0] + 0.1 * obs[1];
  return { action: score > 0 ? 1 : 0, extras: { qValues: [20 - 10 * score, 20 + 10 * score] } };
};

/** Steers toward the lane centre: a PD law on offset and heading error, snapped to the five discrete targets. */
function laneController(discrete: boolean): Policy {
  return (_obs, s) => {
    const offset = typeof s.offset === 'number' ? s.offset : 0;
    const headingError = typeof s.headingError === 'number' ? s.headingError : 0;
    const curvature = typeof s.curvature === 'number' ? s.curvature : 0;
    const target = Math.max(-1, Math.min(1, (-0.35 * offset - 1.6 * headingError + 8 * curvature) / 1));
    if (!discrete) return { action: Float32Array.of(target) };
    const levels = [-1, -0.5, 0, 0.5, 1];
    const scores = levels.map((l) => -Math.abs(l - target));
    const best = scores.indexOf(Math.max(...scores));
    const exp = scores.map((x) => Math.exp(8 * x));
    const total = exp.reduce((a, b) => a + b, 0);
    return { action: best, extras: { probs: exp.map((e) => e / total) } };
  };
}

/** Shortest-path distances (BFS) to the terminal, non-pit cells of a gridworld render state; walls and pits block. */
function gridDistances(s: RenderState): { dist: number[]; standable: boolean[]; rows: number; cols: number } {
  const cells = s.cells as string[];
  const legend = (s.legend ?? {}) as Record<string, { kind?: string; terminal?: boolean }>;
  const rows = cells.length;
  const cols = cells[0].length;
  const kindAt = (i: number) => legend[cells[Math.floor(i / cols)][i % cols]]?.kind ?? 'floor';
  const standable = Array.from({ length: rows * cols }, (_, i) => kindAt(i) !== 'wall' && !(kindAt(i) === 'pit' && !legend[cells[Math.floor(i / cols)][i % cols]]?.terminal));
  const dist = new Array<number>(rows * cols).fill(Infinity);
  const queue: number[] = [];
  for (let i = 0; i < rows * cols; i++) if (kindAt(i) === 'terminal') (dist[i] = 0), queue.push(i);
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q];
    const r = Math.floor(i / cols);
    const c = i % cols;
    for (const [dr, dc] of [[-1, 0], [0, 1], [1, 0], [0, -1]]) {
      const nr = r + dr;
      const nc = c + dc;
      if (nr < 0 || nc < 0 || nr >= rows || nc >= cols) continue;
      const j = nr * cols + nc;
      if (!standable[j] || kindAt(j) === 'pit' || dist[j] !== Infinity) continue;
      dist[j] = dist[i] + 1;
      queue.push(j);
    }
  }
  return { dist, standable, rows, cols };
}

/** Moves to the neighbour closest to a terminal cell; probabilities from a softmax over the neighbours' distances. */
function gridController(first: RenderState): { policy: Policy; values: { values: number[]; policy: number[] } } {
  const { dist, standable, rows, cols } = gridDistances(first);
  const moves: [number, number][] = [[-1, 0], [0, 1], [1, 0], [0, -1]]; // up, right, down, left
  const scoresAt = (r: number, c: number) =>
    moves.map(([dr, dc]) => {
      const nr = r + dr;
      const nc = c + dc;
      if (nr < 0 || nc < 0 || nr >= rows || nc >= cols || !standable[nr * cols + nc]) return -(dist[r * cols + c] + 1);
      const d = dist[nr * cols + nc];
      return Number.isFinite(d) ? -d : -1000;
    });
  const values: number[] = [];
  const policy: number[] = [];
  for (let i = 0; i < rows * cols; i++) {
    if (!standable[i]) continue;
    values.push(Number.isFinite(dist[i]) ? -dist[i] : -100);
    const sc = scoresAt(Math.floor(i / cols), i % cols);
    policy.push(sc.indexOf(Math.max(...sc)));
  }
  const gridPolicy: Policy = (_obs, s) => {
    const [r, c] = s.agent as [number, number];
    const sc = scoresAt(r, c);
    const exp = sc.map((x) => Math.exp(2 * (x - Math.max(...sc))));
    const total = exp.reduce((a, b) => a + b, 0);
    return { action: sc.indexOf(Math.max(...sc)), extras: { probs: exp.map((e) => e / total) } };
  };
  return { policy: gridPolicy, values: { values, policy } };
}

function record(plan: EnvPlan, policy: Policy, seed: number, policySeed: number): RecordedEpisode {
  let done: RecordedEpisode | undefined;
  const env = new RecordEpisode(make(plan.envId, {}, plan.maxSteps ? { maxEpisodeSteps: plan.maxSteps } : {}), (ep) => (done = ep));
  const rng = new Rng(`fixture/${policySeed}`);
  let obs = env.reset({ seed }).obs;
  for (let t = 0; t < 100_000 && !done; t++) {
    const { action, extras } = policy(obs, env.renderState(), rng);
    if (extras) env.annotate(extras);
    obs = env.step(action).obs;
  }
  env.close();
  if (!done) throw new Error(`fixture: ${plan.envId} episode did not end`);
  return done;
}

function plans(): EnvPlan[] {
  const ids = new Set(listEnvs().map((r) => r.id));
  const out: EnvPlan[] = [{ envId: 'CartPole-v1', kind: 'cartpole', agent: 'heuristic', seed: 1, early: randomPolicy(2), late: cartPoleController }];
  const grid = ['CliffWalking', 'FourRooms', 'GridWorld-4x4'].find((id) => ids.has(id)) ?? listEnvs().find((r) => /grid/i.test(r.id))?.id;
  if (grid) {
    const env = make(grid);
    env.reset({ seed: 0 });
    const first = env.renderState();
    if (first.kind === 'gridworld') {
      const { policy, values } = gridController(first);
      out.push({ envId: grid, kind: 'gridworld', agent: 'bfs', seed: 4, early: randomPolicy(4), late: policy, values });
    }
  }
  // Classic control: short episodes, enough for the scenes to move.
  if (ids.has('Pendulum-v1')) {
    const randomTorque: Policy = (_obs, _s, rng) => ({ action: Float32Array.of(rng.uniform(-2, 2)) });
    const pump: Policy = (obs) => ({ action: Float32Array.of(obs[2] >= 0 ? 2 : -2) }); // push along the swing
    out.push({ envId: 'Pendulum-v1', kind: 'pendulum', agent: 'energy', seed: 5, maxSteps: 80, early: randomTorque, late: pump });
  }
  if (ids.has('MountainCar-v0')) {
    const pump: Policy = (obs) => ({ action: obs[1] >= 0 ? 2 : 0 });
    out.push({ envId: 'MountainCar-v0', kind: 'mountaincar', agent: 'energy', seed: 6, maxSteps: 120, early: randomPolicy(3), late: pump });
  }
  if (ids.has('Acrobot-v1')) {
    const pump: Policy = (obs) => ({ action: obs[4] + 0.5 * obs[5] > 0 ? 2 : 0 });
    out.push({ envId: 'Acrobot-v1', kind: 'acrobot', agent: 'energy', seed: 7, maxSteps: 80, early: randomPolicy(3), late: pump });
  }
  if (ids.has('LaneKeeper-v0')) {
    out.push({ envId: 'LaneKeeper-v0', kind: 'lanekeeper', agent: 'pd', seed: 3, maxSteps: 150, early: randomPolicy(5), late: laneController(true) });
  }
  return out;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Writes the fixture runs into `dir` (which should be empty) and says what is where. */
export async function writeFixtureRuns(dir: string): Promise<FixtureRuns> {
  const result: FixtureRuns = { dir, runs: [], episodes: [], byKind: new Map(), oddRun: '', corrupt: '', futureVersion: '', unknownKind: '', startingRun: '' };
  const checkpoints = [0, 5000];
  let minute = 0;
  for (const plan of plans()) {
    const run = `${plan.envId}__${plan.agent}__seed${plan.seed}__20250102-10${String(minute++).padStart(2, '0')}00`;
    const runDir = join(dir, run);
    await mkdir(join(runDir, 'checkpoints'), { recursive: true });
    result.runs.push(run);
    const metrics: object[] = [];
    const actionSpace = make(plan.envId).actionSpace.toJSON();
    const evalReturns: number[][] = [];
    for (const [ci, step] of checkpoints.entries()) {
      const returns: number[] = [];
      for (let k = 0; k < 2; k++) {
        const ep = record(plan, ci === 0 ? plan.early : plan.late, 100 + k, ci * 10 + k);
        const replay = replayFromEpisode(ep, { agent: plan.agent, checkpointStep: step, actionSpace, label: ci === 0 ? 'untrained' : 'trained' });
        const path = `${stepDir(step)}/episode-${k}.json${k === 1 ? '.gz' : ''}`;
        await writeReplayFile(join(runDir, 'episodes', path), replay);
        const entry: FixtureEpisode = { run, path, envId: plan.envId, kind: plan.kind, length: replay.length, return: replay.return, checkpointStep: step };
        result.episodes.push(entry);
        if (ci === checkpoints.length - 1 && k === 0) result.byKind.set(plan.kind, entry);
        returns.push(replay.return);
      }
      evalReturns.push(returns);
    }
    // Training curve: episodes of the early policy, then the late one, with their real returns, spread
    // over the run's 5000 steps (as if only some episodes were logged).
    const trainingEpisodes = 16;
    for (let i = 0; i < trainingEpisodes; i++) {
      const ep = record(plan, i < trainingEpisodes / 2 ? plan.early : plan.late, 1000 + i, 500 + i);
      const envStep = Math.round(((i + 1) * 5000) / trainingEpisodes);
      metrics.push({ kind: 'episode', step: envStep, return: ep.return, length: ep.length, wall: envStep / 1000 });
      if (i % 3 === 2) metrics.push({ kind: 'update', step: envStep, loss: 1 / (i + 1), tdError: 0.5 / (i + 1) });
    }
    checkpoints.forEach((step, ci) => {
      const r = evalReturns[ci];
      const mean = r.reduce((a, b) => a + b, 0) / r.length;
      const std = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / r.length);
      metrics.push({ kind: 'eval', step, mean, std, returns: r });
    });
    metrics.sort((a, b) => (a as { step: number }).step - (b as { step: number }).step);
    await writeFile(join(runDir, 'metrics.jsonl'), metrics.map((m) => JSON.stringify(m)).join('\n') + '\n');
    await writeJson(join(runDir, 'config.json'), {
      agent: plan.agent,
      envId: plan.envId,
      envKwargs: {},
      seed: plan.seed,
      backend: 'none',
      totalSteps: 5000,
      numEnvs: 1,
      hyperparams: { note: 'test fixture' },
      versions: { tsgym: '0.1.0' },
    });
    const finalEval = evalReturns[evalReturns.length - 1];
    await writeJson(join(runDir, 'summary.json'), { status: 'finished', steps: 5000, wallSeconds: 12.5, finalEval: { mean: finalEval.reduce((a, b) => a + b, 0) / finalEval.length, std: 0 } });
    if (plan.values) await writeJson(join(runDir, 'values.json'), plan.values);
  }

  // A run that is just starting: no summary.json yet, and the last metrics line is half written.
  const starting = 'CartPole-v1__random__seed2__20250101-090000';
  {
    const runDir = join(dir, starting);
    const plan: EnvPlan = { envId: 'CartPole-v1', kind: 'cartpole', agent: 'random', seed: 2, early: randomPolicy(2), late: randomPolicy(2) };
    const ep = record(plan, plan.early, 7, 7);
    const replay = replayFromEpisode(ep, { agent: 'random', checkpointStep: 0, actionSpace: { type: 'Discrete', n: 2, start: 0 } });
    await writeReplayFile(join(runDir, 'episodes', stepDir(0), 'episode-0.json'), replay);
    await writeJson(join(runDir, 'config.json'), { agent: 'random', envId: 'CartPole-v1', envKwargs: {}, seed: 2, backend: 'none', totalSteps: 1000, numEnvs: 1, hyperparams: {}, versions: {} });
    await writeFile(join(runDir, 'metrics.jsonl'), `${JSON.stringify({ kind: 'episode', step: ep.length, return: ep.return, length: ep.length, wall: 0.1 })}\n{"kind":"episode","st`);
    result.runs.push(starting);
    result.episodes.push({ run: starting, path: `${stepDir(0)}/episode-0.json`, envId: 'CartPole-v1', kind: 'cartpole', length: replay.length, return: replay.return, checkpointStep: 0 });
    result.startingRun = starting;
  }

  // Oddities: files a viewer must survive.
  const odd = 'Oddities__scripted__seed0__20240101-000000';
  const oddDir = join(dir, odd, 'episodes', stepDir(0));
  await mkdir(oddDir, { recursive: true });
  await writeFile(join(dir, odd, 'config.json'), '{"agent": "scripted", "envId": ');
  const good: ReplayFile = {
    format: REPLAY_FORMAT,
    version: 1,
    envId: 'Mystery-v0',
    envOptions: {},
    seed: 0,
    resetOptions: null,
    agent: { name: 'scripted', checkpointStep: 0 },
    actionSpace: { type: 'Discrete', n: 2, start: 0 },
    initialState: { kind: 'mystery', t: 0 },
    steps: [1, 2, 3].map((t) => ({ action: t % 2, reward: 1, terminated: t === 3, truncated: false, state: { kind: 'mystery', t } })),
    return: 3,
    length: 3,
    terminated: true,
    truncated: false,
  };
  await writeReplayFile(join(oddDir, 'episode-unknown-kind.json'), good);
  await writeFile(join(oddDir, 'episode-corrupt.json'), JSON.stringify(good).slice(0, 120));
  await writeFile(join(oddDir, 'episode-future.json'), JSON.stringify({ ...good, version: 7 }));
  result.runs.push(odd);
  result.oddRun = odd;
  result.unknownKind = `${stepDir(0)}/episode-unknown-kind.json`;
  result.corrupt = `${stepDir(0)}/episode-corrupt.json`;
  result.futureVersion = `${stepDir(0)}/episode-future.json`;
  return result;
}
