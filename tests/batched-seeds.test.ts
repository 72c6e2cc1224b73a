import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tf } from '../agents/backend.js';
import { parseSeedRange, trainSeeds, type SeedRun } from '../experiments/harness/batch-seeds.js';
import { train, type TrainOptions } from '../experiments/harness/trainer.js';
import { readRunSummary } from '../experiments/run-files.js';
import { runCli, startCli } from './helpers/cli.js';
import { backwardFlops, forwardFlops, manySeedsVerdict, measureKernels, parseManySeeds, runFlops } from '../experiments/bench-seeds.js';

const tmp = (label: string) => fs.mkdtempSync(path.join(os.tmpdir(), `tsgym-seeds-${label}-`));

/** Tiny per-agent settings: a few updates, two evals, two checkpoints. */
const TINY = {
  ppo: { env: 'CartPole-v1', hyperparams: { numSteps: 64, numMinibatches: 2, updateEpochs: 2 } },
  a2c: { env: 'CartPole-v1', hyperparams: { numSteps: 8 } },
  // With a Polyak-averaged greedy network, so its weights are among the files that must match.
  dqn: { env: 'CartPole-v1', hyperparams: { hidden: [16], learningStarts: 200, batchSize: 32, bufferSize: 2_000, trainFreq: 4, gradientSteps: 2, epsDecaySteps: 500, greedyTau: 0.05 } },
  sac: { env: 'Pendulum-v1', hyperparams: { hidden: [16], learningStarts: 200, batchSize: 32, bufferSize: 2_000 } },
} as const;

function tinyRun(agent: keyof typeof TINY, outDir: string): Omit<TrainOptions, 'seed'> {
  return {
    agent,
    env: TINY[agent].env,
    totalSteps: 1024,
    numEnvs: 4,
    evalEvery: 512,
    evalEpisodes: 2,
    recordEpisodes: 0,
    checkpointEvery: 512,
    stopWhenSolved: true,
    logEvery: 256,
    envKwargs: {},
    hyperparams: { ...TINY[agent].hyperparams },
    backend: 'wasm',
    outDir,
    progress: 'none',
    verbose: false,
  };
}

/** The files that hold what a seed computed: metrics, the final weights and agent state, the best agent's weights. */
function computedFiles(runDir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = { 'metrics.jsonl': fs.readFileSync(path.join(runDir, 'metrics.jsonl')) };
  const ckpts = fs.readdirSync(path.join(runDir, 'checkpoints')).filter((d) => d.startsWith('step-')).sort();
  const last = path.join('checkpoints', ckpts[ckpts.length - 1]);
  for (const f of fs.readdirSync(path.join(runDir, last)).filter((f) => f.endsWith('.bin'))) out[path.join(last, f)] = fs.readFileSync(path.join(runDir, last, f));
  const best = path.join('best', 'state');
  for (const d of fs.readdirSync(path.join(runDir, best)).filter((d) => d.startsWith('step-'))) {
    for (const f of fs.readdirSync(path.join(runDir, best, d)).filter((f) => f.endsWith('.bin'))) out[path.join(best, d, f)] = fs.readFileSync(path.join(runDir, best, d, f));
  }
  return out;
}

const bySeed = (runs: SeedRun[], seed: number) => runs.find((r) => r.seed === seed)!.runDir;

describe('trainSeeds: many seeds in one process', () => {
  for (const agent of ['ppo', 'a2c', 'dqn', 'sac'] as const) {
    it(`${agent}: a seed's metrics and weights are byte-identical alone, in a batch, in another batch order, and as a plain single run`, async () => {
      const alone = await trainSeeds({ ...tinyRun(agent, tmp('alone')), seeds: [7] });
      const batch = await trainSeeds({ ...tinyRun(agent, tmp('batch')), seeds: [3, 7, 5] });
      const reversed = await trainSeeds({ ...tinyRun(agent, tmp('reversed')), seeds: [5, 7, 3] });
      const single = await train({ ...tinyRun(agent, tmp('single')), seed: 7 });
      for (const r of [alone, batch, reversed]) {
        expect(r.interrupted).toBe(false);
        expect(r.runs.map((x) => x.summary.status).every((s) => s === 'finished')).toBe(true);
      }
      expect(batch.runs.map((r) => r.seed)).toEqual([3, 7, 5]);
      const reference = computedFiles(bySeed(alone.runs, 7));
      expect(Object.keys(reference).length).toBeGreaterThan(3); // metrics + final checkpoint blobs + best blobs
      expect(reference['metrics.jsonl'].toString().split('\n').filter((l) => l.includes('"kind":"update"')).length).toBeGreaterThan(0);
      for (const other of [bySeed(batch.runs, 7), bySeed(reversed.runs, 7), single.runDir]) {
        const files = computedFiles(other);
        expect(Object.keys(files).sort()).toEqual(Object.keys(reference).sort());
        for (const [name, bytes] of Object.entries(reference)) expect(files[name].equals(bytes), `${other}/${name}`).toBe(true);
      }
      // Different seeds did compute different things (the comparison above can fail).
      expect(computedFiles(bySeed(batch.runs, 3))['metrics.jsonl'].equals(reference['metrics.jsonl'])).toBe(false);
      // Each run directory stands on its own: config with its seed, summary finished, no lock left.
      for (const r of batch.runs) {
        expect(JSON.parse(fs.readFileSync(path.join(r.runDir, 'config.json'), 'utf8')).seed).toBe(r.seed);
        expect(fs.readdirSync(r.runDir).some((f) => f.startsWith('lock'))).toBe(false);
      }
    }, 240_000);
  }

  it('keeps tf.memory().numTensors flat across the seeds of a batch', async () => {
    await trainSeeds({ ...tinyRun('ppo', tmp('warm')), seeds: [0] }); // one-time caches (ones rows) exist after this
    const before = tf.memory().numTensors;
    await trainSeeds({ ...tinyRun('ppo', tmp('flat')), seeds: [1, 2, 3] });
    expect(tf.memory().numTensors).toBe(before);
  }, 240_000);

  it('parses --seeds ranges and counts, and refuses bad ones with one line', () => {
    expect(parseSeedRange('0-3')).toEqual([0, 1, 2, 3]);
    expect(parseSeedRange('7-7')).toEqual([7]);
    expect(parseSeedRange('3')).toEqual([0, 1, 2]);
    expect(() => parseSeedRange('7-3')).toThrow(/ends before it starts/);
    expect(() => parseSeedRange('a-b')).toThrow(/expects a range A-B/);
    expect(() => parseSeedRange('0')).toThrow(/expects a range A-B/);
    expect(() => parseSeedRange('0-100000')).toThrow(/at most 100000 seeds/);
  });

  it('refuses a batch with repeated seeds before writing anything', async () => {
    const out = tmp('dup');
    await expect(trainSeeds({ ...tinyRun('ppo', out), seeds: [1, 2, 1] })).rejects.toThrow(/seed 1 appears twice/);
    expect(fs.readdirSync(out)).toEqual([]);
  });
});

/** Env steps of a run's greedy evaluations, from its metrics. */
function evalSteps(runDir: string): number {
  const evals = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"kind":"eval"')).map((l) => JSON.parse(l) as { lengths: number[] });
  return evals.flatMap((e) => e.lengths).reduce((a, b) => a + b, 0);
}

/** A tiny run of `agent` trained for its whole 1024 steps (no early stop), runFlops' count of it and its eval steps. */
async function countedTinyRun(agent: keyof typeof TINY, hyperparams: Record<string, unknown> = {}) {
  const opts = tinyRun(agent, tmp(`flops-${agent}`));
  const { runs } = await trainSeeds({ ...opts, stopWhenSolved: false, hyperparams: { ...opts.hyperparams, ...hyperparams }, seeds: [2] });
  const count = runFlops(runs[0].runDir);
  expect(count.envSteps).toBe(1024);
  return { count, evals: evalSteps(runs[0].runDir) };
}

// PPO and A2C on CartPole with the default [64, 64]: actor 4 → 64 → 64 → 2 logits, critic 4 → 64 → 64 → 1;
// a gradient step's row: both forward, both backward (weights, biases, input gradients above the first layer).
const PG_ACTOR = 2 * (4 * 64 + 64 * 64 + 64 * 2);
const PG_CRITIC = 2 * (4 * 64 + 64 * 64 + 64 * 1);
const PG_GRADIENT_ROW = PG_ACTOR + PG_CRITIC + (PG_ACTOR + 2 * (64 + 64 + 2) + 2 * (64 * 64 + 64 * 2)) + (PG_CRITIC + 2 * (64 + 64 + 1) + 2 * (64 * 64 + 64 * 1));

describe('bench-seeds: FLOPs of a run', () => {
  it('counts dense-layer products per row: forward 2·in·out, backward weights + biases + the input gradients asked for', () => {
    // 4 → 16 → 2: forward 2·(4·16 + 16·2) = 192.
    expect(forwardFlops([4, 16, 2])).toBe(192);
    // Weights 192, biases 2·(16 + 2) = 36, the second layer's input gradient 2·16·2 = 64.
    expect(backwardFlops([4, 16, 2], { params: true, input: false })).toBe(292);
    // Input gradients only, through both layers (SAC's actor loss through the critics).
    expect(backwardFlops([4, 16, 2], { params: false, input: true })).toBe(192);
    expect(backwardFlops([4, 16, 2], { params: true, input: true })).toBe(292 + 128);
  });

  it('counts acting, valuing, gradient steps and greedy evaluation of a PPO run from its metrics', async () => {
    const opts = tinyRun('ppo', tmp('flops'));
    const { runs } = await trainSeeds({ ...opts, totalSteps: 512, evalEvery: 512, stopWhenSolved: false, hyperparams: { ...opts.hyperparams, targetKl: 0 }, seeds: [1] });
    const count = runFlops(runs[0].runDir);
    // 512 steps of a 64 × 4 rollout: 2 updates of 2 epochs × 2 minibatches of 128 rows.
    expect(count.envSteps).toBe(512);
    expect(count.gradientSteps).toBe(8);
    const evals = evalSteps(runs[0].runDir);
    expect(evals).toBeGreaterThan(0);
    expect(count.flops).toBe(512 * PG_ACTOR + 2 * (256 + 4) * PG_CRITIC + 8 * 128 * PG_GRADIENT_ROW + evals * PG_ACTOR);
  }, 120_000);

  it('counts an A2C run: one gradient step per rollout, on the whole rollout', async () => {
    const { count, evals } = await countedTinyRun('a2c');
    // 1024 steps of an 8 × 4 rollout: 32 updates, one gradient step each on its 32 rows.
    expect(count.gradientSteps).toBe(32);
    expect(count.flops).toBe(1024 * PG_ACTOR + 32 * (32 + 4) * PG_CRITIC + 32 * 32 * PG_GRADIENT_ROW + evals * PG_ACTOR);
  }, 120_000);

  it('counts a DQN run: online forward per env step, online/target/double passes and the backward per gradient step on the batch', async () => {
    // With advantage learning: the target network also runs on s.
    const { count, evals } = await countedTinyRun('dqn', { advantageLearning: 0.25 });
    // 4 envs, learningStarts 200, trainFreq 4: training calls at vector steps 52, 56, …, 256 (52 calls) of 2 gradient steps.
    expect(count.gradientSteps).toBe(104);
    const q = 2 * (4 * 16 + 16 * 2); // 4 → 16 → 2
    const qBackward = q + 2 * (16 + 2) + 2 * 16 * 2;
    // Double DQN: online on s, target on [s; s'], online on s', then the backward; batch 32.
    expect(count.flops).toBe(1024 * q + 104 * 32 * (4 * q + qBackward) + evals * q);
  }, 120_000);

  it('counts a DQN run with Munchausen targets without double DQN: target on [s; s′], no online pass on s′', async () => {
    const { count, evals } = await countedTinyRun('dqn', { munchausen: 0.9, doubleDqn: false });
    expect(count.gradientSteps).toBe(104);
    const q = 2 * (4 * 16 + 16 * 2);
    const qBackward = q + 2 * (16 + 2) + 2 * 16 * 2;
    expect(count.flops).toBe(1024 * q + 104 * 32 * (3 * q + qBackward) + evals * q);
  }, 120_000);

  it('counts a SAC run: the actor after the warm-up, actor, twin critics and targets per gradient step', async () => {
    const { count, evals } = await countedTinyRun('sac');
    // One gradient step per vector step once 200 env steps are in: vector steps 50 … 256.
    expect(count.gradientSteps).toBe(207);
    const actor = 2 * (3 * 16 + 16 * 2); // Pendulum: 3 → 16 → [μ, log σ]
    const critic = 2 * (4 * 16 + 16 * 1); // (obs, action) → 16 → Q
    const actorBackward = actor + 2 * (16 + 2) + 2 * 16 * 2;
    const criticBackward = critic + 2 * (16 + 1) + 2 * 16 * 1;
    const criticInputGradient = critic;
    const perStep = 2 * actor + actorBackward + 2 * critic + 2 * (critic + criticBackward) + 2 * (critic + criticInputGradient);
    // Acting after the warm-up: vector steps 51 … 256 (the agent has seen 200 env steps), 4 rows each.
    expect(count.flops).toBe((1024 - 200) * actor + 207 * 32 * perStep + evals * actor);
  }, 120_000);
});

describe('bench-seeds: the matMul rates the ceiling divides by', () => {
  it('measures every product as a positive rate on the wasm kernels and frees what it made', async () => {
    const rows = await measureKernels(0.005);
    const buffers = tf.engine().backend.numDataIds();
    expect(rows.map((r) => r.name.replace(/, batch \d+$/, ''))).toEqual([
      ...[1024, 128, 8].flatMap(() => ['1 seed, 2-D matMul [B,64]×[64,64] (wasm kernel)', '8 seeds, rank-3 matMul [8,B,64]×[8,64,64]', '8 seeds, block-diagonal 2-D matMul [B,512]×[512,512] (useful FLOPs)', '1 seed, plain JS loop [B,64]×[64,64]']),
      '1 seed, 2-D matMul [B,32]×[32,32] (wasm kernel)',
    ]);
    for (const r of rows) expect(r.value, r.name).toBeGreaterThan(0);
    expect(tf.getBackend()).toBe('wasm');
    expect(await measureKernels(0.005).then(() => tf.engine().backend.numDataIds())).toBe(buffers);
  }, 60_000);
});

describe('bench-seeds: --many-seeds and the verdict', () => {
  it('reads N, goal and AGENT=SEEDS lists; refuses anything else with one clear error', () => {
    expect(parseManySeeds('16').map((a) => [a.agent, a.env, a.seeds, a.goalSeeds])).toEqual([
      ['ppo', 'CartPole-v1', 16, 256],
      ['a2c', 'CartPole-v1', 16, 256],
      ['dqn', 'CartPole-v1', 16, 64],
      ['sac', 'Pendulum-v1', 16, 32],
    ]);
    expect(parseManySeeds('goal').map((a) => a.seeds)).toEqual([256, 256, 64, 32]);
    expect(parseManySeeds('sac=32, ppo=4').map((a) => [a.agent, a.seeds])).toEqual([
      ['sac', 32],
      ['ppo', 4],
    ]);
    expect(() => parseManySeeds('0')).toThrow(/positive integer, got '0'/);
    expect(() => parseManySeeds('td3=4')).toThrow(/not AGENT=SEEDS with AGENT one of ppo, a2c, dqn, sac/);
    expect(() => parseManySeeds('ppo=4,ppo=8')).toThrow(/ppo is listed twice/);
    expect(() => parseManySeeds('ppo=x')).toThrow(/ppo's seed count must be a positive integer/);
  });

  it('calls a goal above the ceiling only when 100% of the matMul peak cannot meet it', () => {
    expect(manySeedsVerdict({ projectedSeconds: 400, ceilingSeconds: 61, allSolved: true })).toBe("above this machine's ceiling");
    expect(manySeedsVerdict({ projectedSeconds: 400, ceilingSeconds: 20, allSolved: true })).toBe('reachable but not reached');
    expect(manySeedsVerdict({ projectedSeconds: 50, ceilingSeconds: 20, allSolved: false })).toBe('reachable but not reached');
    expect(manySeedsVerdict({ projectedSeconds: 50, ceilingSeconds: 20, allSolved: true })).toBe('goal met');
  });
});

describe('train --seeds (CLI)', () => {
  const tiny = ['--backend', 'wasm', '--progress', 'none', '--steps', '512', '--envs', '4', '--eval-every', '512', '--eval-episodes', '2', '--checkpoint-every', '512', '--set', 'numSteps=64', '--set', 'numMinibatches=2', '--set', 'updateEpochs=2'];

  it('trains --seed-list as ordinary runs, one directory per seed printed on stdout', async () => {
    const out = tmp('cli');
    const r = await runCli(['train', 'ppo', 'cartpole', '--seed-list', '4,2', ...tiny, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const dirs = r.stdout.trim().split('\n');
    expect(dirs.map((d) => path.basename(d).split('__')[2])).toEqual(['seed4', 'seed2']);
    expect(dirs.map((d) => readRunSummary(d)!.status)).toEqual(['finished', 'finished']);
    expect(r.stderr).toMatch(/2 of 2 seeds ran: 2 finished/);
  }, 120_000);

  for (const [agent, env, sets] of [
    ['dqn', 'cartpole', ['hidden=[16]', 'learningStarts=200', 'bufferSize=2000', 'greedyTau=0.05']],
    ['sac', 'pendulum', ['hidden=[16]', 'learningStarts=200', 'bufferSize=2000']],
  ] as const) {
    it(`${agent}: each seed of \`train --seeds 3-5\` is byte-identical to that seed trained alone in its own process`, async () => {
      const run = [agent, env, '--backend', 'wasm', '--progress', 'none', '--steps', '1024', '--no-stop-when-solved', '--envs', '4', '--eval-every', '512', '--eval-episodes', '2', '--record-episodes', '0', '--checkpoint-every', '512', ...sets.flatMap((kv) => ['--set', kv])];
      const batch = await runCli(['train', ...run, '--seeds', '3-5', '--out', tmp(`${agent}-batch`)]);
      expect(batch.code, batch.stderr).toBe(0);
      const dirs = batch.stdout.trim().split('\n');
      expect(dirs.map((d) => path.basename(d).split('__')[2])).toEqual(['seed3', 'seed4', 'seed5']);
      const alone = await runCli(['train', ...run, '--seed', '4', '--out', tmp(`${agent}-alone`)]);
      expect(alone.code, alone.stderr).toBe(0);
      const reference = computedFiles(alone.stdout.trim());
      expect(reference['metrics.jsonl'].toString()).toContain('"kind":"update"');
      const files = computedFiles(dirs[1]);
      expect(Object.keys(files).sort()).toEqual(Object.keys(reference).sort());
      for (const [name, bytes] of Object.entries(reference)) expect(files[name].equals(bytes), name).toBe(true);
      // Neighbouring seeds computed something else (the comparison above can fail).
      expect(computedFiles(dirs[0])['metrics.jsonl'].equals(reference['metrics.jsonl'])).toBe(false);
    }, 240_000);
  }

  it('refuses --seeds with --seed, --resume or a bad range: one error line, exit 2, nothing written', async () => {
    const out = tmp('bad');
    for (const args of [
      ['--seeds', '0-3', '--seed', '2'],
      ['--seeds', '5-2'],
      ['--seeds', '0-1', '--resume', out],
      ['--seeds', '0-1', '--seed-list', '3'],
      ['--seed-list', '3,x'],
    ]) {
      const r = await runCli(['train', 'ppo', 'cartpole', ...args, ...tiny, '--out', out]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('error: ')).length).toBe(1);
      expect(fs.readdirSync(out)).toEqual([]);
    }
  }, 120_000);

  it('SIGINT stops the batch (the training seed checkpoints and ends interrupted, later seeds never start); --resume-batch finishes it with the same bytes as an uninterrupted run', async () => {
    const out = tmp('sigint');
    const run = ['ppo', 'cartpole', '--backend', 'wasm', '--progress', 'none', '--steps', '8000', '--no-stop-when-solved', '--envs', '4', '--eval-every', '4000', '--eval-episodes', '1', '--record-episodes', '0', '--checkpoint-every', '10000', '--set', 'numSteps=64'];
    const { child, done } = startCli(['train', ...run, '--seeds', '0-2', '--out', out]);
    // Interrupt as soon as seed 0's run is training (its summary says running).
    const deadline = Date.now() + 90_000;
    for (;;) {
      const dirs = fs.existsSync(out) ? fs.readdirSync(out) : [];
      if (dirs.length === 1 && readRunSummary(path.join(out, dirs[0]))?.status === 'running') break;
      if (Date.now() > deadline) throw new Error('seed 0 never started training');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    const r = await done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/stopped by a signal \(2 not started\)/);
    const dirs = fs.readdirSync(out);
    expect(dirs.length).toBe(1); // seeds 1 and 2 never started
    const seed0 = path.join(out, dirs[0]);
    expect(readRunSummary(seed0)!.status).toBe('interrupted');
    expect(readRunSummary(seed0)!.steps).toBeLessThan(8000);
    expect(fs.readdirSync(seed0).some((f) => f.startsWith('lock'))).toBe(false);

    // A batch with other settings is refused before anything trains.
    const clash = await runCli(['train', ...run, '--set', 'lr=0.01', '--seeds', '0-2', '--out', out, '--resume-batch']);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/--set lr=0.01/);
    expect(fs.readdirSync(out).length).toBe(1);

    const resumed = await runCli(['train', ...run, '--seeds', '0-2', '--out', out, '--resume-batch']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout.trim().split('\n').length).toBe(3);
    expect(fs.readdirSync(out).map((d) => readRunSummary(path.join(out, d))!.status)).toEqual(['finished', 'finished', 'finished']);
    const reference = await runCli(['train', ...run, '--seed', '0', '--out', tmp('reference')]);
    expect(reference.code, reference.stderr).toBe(0);
    const a = computedFiles(seed0);
    const b = computedFiles(reference.stdout.trim());
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    for (const [name, bytes] of Object.entries(b)) expect(a[name].equals(bytes), name).toBe(true);

    // Continuing a batch that has ended keeps every run as it is.
    const again = await runCli(['train', ...run, '--seeds', '0-2', '--out', out, '--resume-batch']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/3 had already ended/);
  }, 300_000);

  it('a batch killed with SIGKILL (a dead worker) leaves its running seed resumable: --resume-batch takes the stale lock and finishes every seed', async () => {
    const out = tmp('sigkill');
    const run = ['ppo', 'cartpole', '--backend', 'wasm', '--progress', 'none', '--steps', '4000', '--no-stop-when-solved', '--envs', '4', '--eval-every', '4000', '--eval-episodes', '1', '--record-episodes', '0', '--checkpoint-every', '1000', '--set', 'numSteps=64', '--out', out];
    const { child, done } = startCli(['train', ...run, '--seeds', '0-1']);
    // Kill once seed 0 has its first checkpoint: its summary says running and its lock is left behind.
    const deadline = Date.now() + 90_000;
    let seed0 = '';
    for (;;) {
      const dirs = fs.existsSync(out) ? fs.readdirSync(out) : [];
      seed0 = dirs.length ? path.join(out, dirs[0]) : '';
      if (seed0 && fs.existsSync(path.join(seed0, 'checkpoints')) && fs.readdirSync(path.join(seed0, 'checkpoints')).some((d) => d.startsWith('step-'))) break;
      if (Date.now() > deadline) throw new Error('seed 0 never checkpointed');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    expect(readRunSummary(seed0)!.status).toBe('running');
    expect(fs.existsSync(path.join(seed0, 'lock.json'))).toBe(true);
    const resumed = await runCli(['train', ...run, '--seeds', '0-1', '--resume-batch']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const dirs = fs.readdirSync(out).map((d) => path.join(out, d));
    expect(dirs.length).toBe(2);
    for (const d of dirs) {
      expect(readRunSummary(d)).toMatchObject({ status: 'finished', steps: 4000 });
      expect(fs.existsSync(path.join(d, 'lock.json'))).toBe(false);
    }
  }, 300_000);
});
