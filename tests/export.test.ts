/**
 * `tsgym export`: for every agent, a tiny trained run exported as ONNX (run by onnxruntime-node) and as a
 * TensorFlow.js graph model (loaded by plain tfjs) gives the greedy actions of `agent.act(obs, {greedy: true})`
 * on observations from greedy evaluation episodes, and raw outputs within 1e-5 (relative, for values above 1); observation normalisation
 * (PPO, A2C) and scaleObs (TD3) are baked in. Conv torsos export too (MinAtar grids, the lane keeper's camera). Bad input is refused with one line and writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { initBackend, tf } from '../agents/backend.js';
import type { Agent } from '../agents/agent.js';
import { DqnAgent } from '../agents/dqn.js';
import { PolicyGradientAgent } from '../agents/policy-gradient.js';
import { SacAgent } from '../agents/sac.js';
import { Td3Agent } from '../agents/td3.js';
import { make } from '../envs/registry.js';
import { Box, Discrete } from '../envs/spaces.js';
import { createAgent } from '../agents/registry.js';
import { checkGraphReproduces, policyGraph } from '../experiments/export/policy-graph.js';
import { toOnnx } from '../experiments/export/onnx.js';
import { toTfjsGraphModel } from '../experiments/export/tfjs-graph.js';
import { train } from '../experiments/harness/trainer.js';
import { loadAgentFromRun, type CheckpointChoice } from '../experiments/harness/agent-io.js';
import { exportPolicy, type PolicyFile } from '../experiments/export/export-policy.js';
import { run } from '../experiments/cli.js';
import { runCli } from './helpers/cli.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-export-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

interface Case {
  label: string;
  agent: string;
  env: string;
  envKwargs?: Record<string, unknown>;
  steps: number;
  hyperparams: Record<string, unknown>;
  /** Which checkpoint to export (all three kinds are covered). */
  checkpoint: CheckpointChoice;
  /** Observations from greedy episodes to compare on. */
  observations: number;
}

// ~13,000 observations across the six agents, four of the runs with a conv torso.
const CASES: Case[] = [
  { label: 'dqn, dueling head', agent: 'dqn', env: 'CartPole-v1', steps: 3000, hyperparams: { dueling: true, hidden: [32, 32], learningStarts: 500 }, checkpoint: 'latest', observations: 1700 },
  { label: 'ppo, Box actions, normalizeObs', agent: 'ppo', env: 'Pendulum-v1', steps: 3000, hyperparams: { normalizeObs: true, hidden: [32, 32], numSteps: 64 }, checkpoint: 'best', observations: 1700 },
  { label: 'a2c, shared trunk, normalizeObs', agent: 'a2c', env: 'CartPole-v1', steps: 3000, hyperparams: { normalizeObs: true, sharedNetwork: true, hidden: [32, 32] }, checkpoint: 2000, observations: 1700 },
  { label: 'reinforce', agent: 'reinforce', env: 'CartPole-v1', steps: 3000, hyperparams: { hidden: [32] }, checkpoint: 'latest', observations: 1700 },
  { label: 'sac', agent: 'sac', env: 'Pendulum-v1', steps: 2000, hyperparams: { hidden: [32, 32], learningStarts: 500, batchSize: 64 }, checkpoint: 'latest', observations: 1600 },
  { label: 'td3, scaleObs', agent: 'td3', env: 'Pendulum-v1', steps: 2000, hyperparams: { scaleObs: true, hidden: [32, 32], learningStarts: 500, batchSize: 64 }, checkpoint: 'latest', observations: 1600 },
  // Conv torsos ('auto' picks them for image observations): MinAtar's 10×10×C grids and the lane keeper's
  // 32×32×3 camera, with strides that do and do not divide the image, and a stack of two conv layers.
  { label: 'dqn, conv torso', agent: 'dqn', env: 'MinAtar/Breakout-v1', steps: 2000, hyperparams: { hidden: [32], convChannels: 8, learningStarts: 500, epsDecaySteps: 1000 }, checkpoint: 'latest', observations: 800 },
  { label: 'ppo, conv torso, normalizeObs', agent: 'ppo', env: 'MinAtar/SpaceInvaders-v1', steps: 2048, hyperparams: { hidden: [32], convChannels: 8, normalizeObs: true, numSteps: 64 }, checkpoint: 'latest', observations: 800 },
  { label: 'a2c, conv shared trunk, camera', agent: 'a2c', env: 'LaneKeeper-v0', envKwargs: { obs: 'pixels' }, steps: 2000, hyperparams: { hidden: [32], sharedNetwork: true, convChannels: 8, convKernel: 5, convStride: 2, activation: 'relu' }, checkpoint: 'latest', observations: 800 },
  { label: 'ppo, two conv layers, camera, Box actions', agent: 'ppo', env: 'LaneKeeperContinuous-v0', envKwargs: { obs: 'pixels' }, steps: 2048, hyperparams: { hidden: [32], convChannels: [8, 8], convKernel: [4, 3], convStride: [2, 1], numSteps: 64 }, checkpoint: 'latest', observations: 800 },
];

const runs = new Map<string, string>();

beforeAll(async () => {
  await initBackend('wasm');
  for (const c of CASES) {
    const r = await train({
      agent: c.agent, env: c.env, seed: 1, totalSteps: c.steps, numEnvs: 2, evalEvery: 1000, evalEpisodes: 2, recordEpisodes: 0, checkpointEvery: 1000,
      stopWhenSolved: false, logEvery: 1000, envKwargs: c.envKwargs ?? {}, hyperparams: c.hyperparams, backend: 'wasm', outDir: path.join(root, 'runs'), progress: 'none', verbose: false,
    });
    runs.set(c.label, r.runDir);
  }
}, 600_000);

/** Observations from greedy episodes of `agent` (seeds 100, 101, …), `count` of them, row-major. */
function evaluationObservations(agent: Agent, envId: string, envKwargs: Record<string, unknown>, count: number): Float32Array {
  const env = make(envId, envKwargs);
  const d = (env.observationSpace as { size: number }).size;
  const out = new Float32Array(count * d);
  let filled = 0;
  for (let seed = 100; filled < count; seed++) {
    let obs = env.reset({ seed }).obs as Float32Array;
    for (;;) {
      out.set(obs, filled * d);
      if (++filled === count) break;
      const a = agent.act(obs, 1, { greedy: true }).actions;
      const r = env.step(env.actionSpace.type === 'Discrete' ? a[0] : Float32Array.from(a));
      if (r.terminated || r.truncated) break;
      obs = r.obs as Float32Array;
    }
  }
  env.close();
  return out;
}

/** The network values the greedy action comes from, as the agent computes them. */
function referenceRaw(agent: Agent, obs: Float32Array, n: number): Float32Array {
  if (agent instanceof DqnAgent) return agent.act(obs, n, { greedy: true }).qValues!;
  if (agent instanceof PolicyGradientAgent) return agent.net.predictPolicy(agent.normalize(obs, n), n);
  if (agent instanceof SacAgent) {
    const out = agent.actor.predict(agent.networkInput(obs, n), n);
    const k = agent.actionSize;
    return Float32Array.from({ length: n * k }, (_, i) => out[Math.floor(i / k) * 2 * k + (i % k)]);
  }
  if (agent instanceof Td3Agent) return agent.actor.predict(agent.networkInput(obs, n), n);
  throw new Error(`no reference for ${agent.name}`);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * The largest difference as a multiple of 1e-5 · max(1, |reference|): values up to 1 must agree within 1e-5,
 * larger ones (Q-values) within a relative 1e-5, as float32 cannot hold a Q of 100 closer than ~8e-6.
 */
function toleranceUsed(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - ref[i]) / (1e-5 * Math.max(1, Math.abs(ref[i]))));
  return m;
}

function countDifferent(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let k = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) k++;
  return k;
}

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** A tfjs graph model loaded by plain @tensorflow/tfjs from an export directory's files. */
async function loadTfjsExport(dir: string): Promise<tf.GraphModel> {
  const modelJson = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const weights = fs.readFileSync(path.join(dir, modelJson.weightsManifest[0].paths[0]));
  return tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest[0].weights,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      format: modelJson.format,
      generatedBy: modelJson.generatedBy,
      convertedBy: modelJson.convertedBy,
      signature: modelJson.signature,
    }),
  );
}

describe('exported policies reproduce agent.act(obs, {greedy: true})', () => {
  let total = 0;
  for (const c of CASES) {
    it(`${c.label} on ${c.env}: ONNX and tfjs give the same actions, raw outputs within 1e-5`, async () => {
      const runDir = runs.get(c.label)!;
      const onnxDir = path.join(root, 'exports', c.label.replace(/\W+/g, '-'), 'onnx');
      const tfjsDir = path.join(root, 'exports', c.label.replace(/\W+/g, '-'), 'tfjs');
      const tensorsBefore = tf.memory().numTensors;
      const onnxRes = await exportPolicy(runDir, { format: 'onnx', outDir: onnxDir, checkpoint: c.checkpoint });
      const tfjsRes = await exportPolicy(runDir, { format: 'tfjs', outDir: tfjsDir, checkpoint: c.checkpoint });
      expect(tf.memory().numTensors).toBe(tensorsBefore); // the loaded agent is disposed
      // The same checkpoint exports to the same bytes.
      const again = path.join(root, 'exports', c.label.replace(/\W+/g, '-'), 'onnx-again');
      await exportPolicy(runDir, { format: 'onnx', outDir: again, checkpoint: c.checkpoint });
      for (const f of ['policy.onnx', 'policy.json']) expect(fs.readFileSync(path.join(again, f)).equals(fs.readFileSync(path.join(onnxDir, f))), f).toBe(true);

      // policy.json: the files and their hashes, the spaces, the provenance.
      const policy = JSON.parse(fs.readFileSync(path.join(onnxDir, 'policy.json'), 'utf8')) as PolicyFile;
      expect(fs.readdirSync(onnxDir).sort()).toEqual(['policy.json', 'policy.onnx']);
      expect(fs.readdirSync(tfjsDir).sort()).toEqual(['model.json', 'policy.json', 'weights.bin']);
      expect(policy.sha256['policy.onnx']).toBe(sha256(path.join(onnxDir, 'policy.onnx')));
      const tfjsPolicy = JSON.parse(fs.readFileSync(path.join(tfjsDir, 'policy.json'), 'utf8')) as PolicyFile;
      expect(tfjsPolicy.sha256).toEqual({ 'model.json': sha256(path.join(tfjsDir, 'model.json')), 'weights.bin': sha256(path.join(tfjsDir, 'weights.bin')) });
      const { agent, config, step } = loadAgentFromRun(runDir, c.checkpoint);
      expect(policy.provenance).toMatchObject({ run: path.basename(runDir), agent: c.agent, envId: c.env, seed: 1, checkpoint: c.checkpoint, step });
      expect(onnxRes.policy.provenance.step).toBe(tfjsRes.policy.provenance.step);
      if (typeof c.checkpoint === 'number') expect(step).toBe(c.checkpoint);
      expect(policy.inputs[0]).toMatchObject({ name: 'obs', dtype: 'float32', shape: ['batch', agent.info.observationSpace.type === 'Box' ? agent.info.observationSpace.size : 1] });
      expect(policy.outputs[0].space).toEqual(agent.info.actionSpace.toJSON());
      const normalized = !!(config.hyperparams as { normalizeObs?: boolean }).normalizeObs;
      const scaled = !!(config.hyperparams as { scaleObs?: boolean }).scaleObs;
      expect(policy.preprocessing.kind).toBe(normalized ? 'normalize' : scaled ? 'scale' : 'none');

      const n = c.observations;
      const obs = evaluationObservations(agent, c.env, c.envKwargs ?? {}, n);
      const d = obs.length / n;
      const ref = agent.act(obs, n, { greedy: true });
      const refActions = Float32Array.from(ref.actions);
      const refRaw = referenceRaw(agent, obs, n);
      agent.dispose();

      const session = await ort.InferenceSession.create(path.join(onnxDir, 'policy.onnx'));
      const o = await session.run({ obs: new ort.Tensor('float32', obs, [n, d]) });
      await session.release();
      const onnxActions = Float32Array.from(o.action.data as Int32Array | Float32Array);
      const onnxRaw = o.raw.data as Float32Array;

      const model = await loadTfjsExport(tfjsDir);
      const tensorsBeforeRun = tf.memory().numTensors;
      const input = tf.tensor2d(obs, [n, d]);
      const [actionT, rawT] = model.execute({ obs: input }, ['action', 'raw']) as tf.Tensor[];
      const tfjsActions = Float32Array.from(actionT.dataSync());
      const tfjsRaw = rawT.dataSync() as Float32Array;
      tf.dispose([input, actionT, rawT]);
      expect(tf.memory().numTensors).toBe(tensorsBeforeRun);
      model.dispose();

      const discrete = agent.info.actionSpace.type === 'Discrete';
      expect(o.action.type).toBe(discrete ? 'int32' : 'float32');
      expect(actionT.dtype).toBe(discrete ? 'int32' : 'float32');
      const stats = {
        onnxActionsNotIdentical: countDifferent(onnxActions, refActions),
        tfjsActionsNotIdentical: countDifferent(tfjsActions, refActions),
        onnxActionMaxDiff: maxAbsDiff(onnxActions, refActions),
        tfjsActionMaxDiff: maxAbsDiff(tfjsActions, refActions),
        rawMaxAbs: maxAbsDiff(refRaw, new Float32Array(refRaw.length)),
        onnxRawMaxDiff: maxAbsDiff(onnxRaw, refRaw),
        tfjsRawMaxDiff: maxAbsDiff(tfjsRaw, refRaw),
      };
      console.log(`export ${c.label}: ${n} observations, step ${step}: ${JSON.stringify(stats)}`);
      if (discrete) {
        expect(stats.onnxActionsNotIdentical).toBe(0);
        expect(stats.tfjsActionsNotIdentical).toBe(0);
        // A policy that picks one action everywhere would make the comparison weak.
        expect(new Set(refActions).size).toBeGreaterThan(1);
      } else {
        expect(stats.onnxActionMaxDiff).toBeLessThanOrEqual(1e-5);
        expect(stats.tfjsActionMaxDiff).toBeLessThanOrEqual(1e-5);
      }
      expect(toleranceUsed(onnxRaw, refRaw)).toBeLessThanOrEqual(1);
      expect(toleranceUsed(tfjsRaw, refRaw)).toBeLessThanOrEqual(1);
      total += n;
    }, 120_000);
  }

  it('covered 10,000 observations in total', () => {
    expect(total).toBeGreaterThanOrEqual(10_000);
  });
});

describe('policy graphs of untrained agents on other spaces', () => {
  // Spaces no built-in env has: a Discrete space that starts at −1, and an unbounded Box action space.
  const spaces = [
    { label: 'dqn, dueling head, Discrete(3)', agent: 'dqn', actionSpace: new Discrete(3), hp: { hidden: [8], dueling: true } },
    { label: 'ppo, Discrete(3, start −1), relu', agent: 'ppo', actionSpace: new Discrete(3, -1), hp: { hidden: [8], activation: 'relu' } },
    { label: 'a2c, Box(−∞, ∞) actions', agent: 'a2c', actionSpace: new Box(-Infinity, Infinity, [2]), hp: { hidden: [8] } },
    { label: 'reinforce, Box([−1, −3], [1, 0.5]) actions', agent: 'reinforce', actionSpace: new Box([-1, -3], [1, 0.5], [2]), hp: { hidden: [8] } },
  ];
  for (const c of spaces) {
    it(`${c.label}: the ONNX and tfjs graphs give agent.act's greedy actions`, async () => {
      const observationSpace = new Box(-5, 5, [3]);
      const agent = createAgent(c.agent, { observationSpace, actionSpace: c.actionSpace, numEnvs: 1 }, c.hp, 9);
      // Larger policy weights push the Gaussian means outside their box, so the clip is exercised.
      if (agent instanceof PolicyGradientAgent) agent.net.actor.setParams(agent.net.actor.params.map((p) => 200 * p));
      const n = 500;
      const obs = Float32Array.from({ length: n * 3 }, (_, i) => 4 * Math.sin(i * 0.37));
      const ref = Float32Array.from(agent.act(obs, n, { greedy: true }).actions);
      const { graph } = policyGraph(agent);
      agent.dispose();
      const session = await ort.InferenceSession.create(toOnnx(graph, { producerVersion: 'test', docString: '', metadata: {} }));
      const onnxActions = Float32Array.from((await session.run({ obs: new ort.Tensor('float32', obs, [n, 3]) })).action.data as Int32Array | Float32Array);
      await session.release();
      const { modelJson, weights } = toTfjsGraphModel(graph, 'test');
      const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: (modelJson as { modelTopology: object }).modelTopology, weightSpecs: (modelJson as { weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] }).weightsManifest[0].weights, weightData: weights.slice().buffer }));
      const tfjsActions = tf.tidy(() => Float32Array.from((model.execute({ obs: tf.tensor2d(obs, [n, 3]) }, 'action') as tf.Tensor).dataSync()));
      model.dispose();
      if (c.actionSpace.type === 'Discrete') {
        const start = (c.actionSpace as Discrete).start;
        expect(new Set(ref)).toEqual(new Set([start, start + 1, start + 2]));
        expect(countDifferent(onnxActions, ref)).toBe(0);
        expect(countDifferent(tfjsActions, ref)).toBe(0);
      } else {
        const box = c.actionSpace as Box;
        if (Number.isFinite(box.high[0])) expect(ref.some((a, i) => a === box.high[i % 2] || a === box.low[i % 2])).toBe(true);
        expect(toleranceUsed(onnxActions, ref)).toBeLessThanOrEqual(1);
        expect(toleranceUsed(tfjsActions, ref)).toBeLessThanOrEqual(1);
      }
    });
  }

  it('the exporter checks its graph against agent.act and refuses one that does not reproduce it', () => {
    const agent = createAgent('ppo', { observationSpace: new Box(-5, 5, [3]), actionSpace: new Discrete(4), numEnvs: 1 }, { hidden: [8], normalizeObs: true }, 9) as PolicyGradientAgent;
    agent.net.actor.setParams(agent.net.actor.params.map((p) => 100 * p));
    const { graph } = policyGraph(agent);
    expect(() => checkGraphReproduces(agent, graph)).not.toThrow();
    // A graph that does not compute what the agent does (here: built before its observation mean moved) is refused.
    agent.obsRms!.mean.fill(3);
    expect(() => checkGraphReproduces(agent, graph)).toThrow(/cannot export this ppo agent: the exported model would not reproduce its greedy actions \(sample \d+: \d instead of \d\)/);
    agent.dispose();
  });

  it('refuses a dqn agent on a Discrete space that does not start at 0 (its actions are indices from 0)', () => {
    const agent = createAgent('dqn', { observationSpace: new Box(-5, 5, [3]), actionSpace: new Discrete(3, -1), numEnvs: 1 }, { hidden: [8] }, 9);
    expect(() => policyGraph(agent)).toThrow(/dqn acts with action indices 0…2, outside Discrete\(3, start=-1\)/);
    agent.dispose();
  });
});

describe('tsgym export (the command)', () => {
  const dqnRun = () => runs.get(CASES[0].label)!;

  it('writes policy.onnx and policy.json from the command line', async () => {
    const out = path.join(root, 'cli-onnx');
    const r = await runCli(['export', dqnRun(), '--format', 'onnx', '--out', out, '--checkpoint', 'best']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual([path.join(out, 'policy.json'), path.join(out, 'policy.onnx')]);
    expect(r.stderr).toMatch(/exported dqn on CartPole-v1, step \d+ \(best\) as onnx/);
    const policy = JSON.parse(fs.readFileSync(path.join(out, 'policy.json'), 'utf8')) as PolicyFile;
    expect(policy.model).toEqual({ format: 'onnx', opset: 13, file: 'policy.onnx' });
    expect(policy.outputs.map((o) => [o.name, o.dtype])).toEqual([['action', 'int32'], ['raw', 'float32']]);
    expect(policy.outputs[1].meaning).toBe('q-values');
  }, 120_000);

  /** Runs the CLI in-process; returns the exit code and what it printed on stderr. */
  async function refused(args: string[]): Promise<{ code: number; stderr: string }> {
    let stderr = '';
    const code = await run(args, (t) => (stderr += t + '\n'), {});
    return { code, stderr };
  }

  /** Every file under `dir`, relative, sorted (what "nothing written" is checked against). */
  function listing(dir: string): string[] {
    return fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).sort() : [];
  }

  function expectOneLine(r: { code: number; stderr: string }, pattern: RegExp): void {
    expect(r.code, r.stderr).toBe(2);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(errors, r.stderr).toHaveLength(1);
    expect(errors[0]).toMatch(pattern);
  }

  it('refuses an unknown run directory, a missing checkpoint and an unknown format, writing nothing', async () => {
    const parent = path.join(root, 'refused');
    fs.mkdirSync(parent);
    const out = path.join(parent, 'policy');
    const runBefore = listing(dqnRun());
    expectOneLine(await refused(['export', path.join(root, 'no-such-run'), '--format', 'onnx', '--out', out]), /no-such-run: no such run directory/);
    expectOneLine(await refused(['export', parent, '--format', 'onnx', '--out', out]), /not a run directory \(no config\.json\)/);
    expectOneLine(await refused(['export', dqnRun(), '--format', 'onnx', '--out', out, '--checkpoint', '999999']), /no checkpoint at step 999999 \(available: 2000, 3000\)/);
    expectOneLine(await refused(['export', dqnRun(), '--format', 'onnx', '--out', out, '--checkpoint', 'first']), /--checkpoint must be 'latest', 'best' or a step number, got 'first'/);
    expectOneLine(await refused(['export', dqnRun(), '--format', 'pytorch', '--out', out]), /invalid --format "pytorch"; choose one of onnx, tfjs/);
    await expect(exportPolicy(dqnRun(), { format: 'pytorch' as 'onnx', outDir: out })).rejects.toThrow(/unknown export format 'pytorch'; choose one of onnx, tfjs/);
    // A run on a user env whose module is gone: the env cannot be rebuilt.
    const userEnvRun = path.join(root, 'user-env-run');
    fs.cpSync(dqnRun(), userEnvRun, { recursive: true });
    const config = JSON.parse(fs.readFileSync(path.join(userEnvRun, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(userEnvRun, 'config.json'), JSON.stringify({ ...config, envModules: [{ path: path.join(root, 'gone', 'my-env.mjs'), sha256: '0'.repeat(64), envIds: ['MyEnv-v0'] }] }));
    expectOneLine(await refused(['export', userEnvRun, '--format', 'onnx', '--out', out]), /env module \S+\/gone\/my-env\.mjs recorded by this run cannot be found on this machine/);
    expect(listing(parent)).toEqual([]);
    expect(listing(dqnRun())).toEqual(runBefore);
  });

  it('refuses a non-empty, non-directory or unwritable destination, writing nothing', async () => {
    const full = path.join(root, 'full');
    fs.mkdirSync(full);
    fs.writeFileSync(path.join(full, 'notes.txt'), 'mine');
    expectOneLine(await refused(['export', dqnRun(), '--format', 'tfjs', '--out', full]), /--out \S+\/full: the directory is not empty/);
    expect(listing(full)).toEqual(['notes.txt']);
    expect(fs.readFileSync(path.join(full, 'notes.txt'), 'utf8')).toBe('mine');

    const file = path.join(root, 'a-file');
    fs.writeFileSync(file, 'x');
    expectOneLine(await refused(['export', dqnRun(), '--format', 'tfjs', '--out', file]), /exists and is not a directory/);
    expectOneLine(await refused(['export', dqnRun(), '--format', 'tfjs', '--out', path.join(file, 'policy')]), /a-file is not a directory/);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');

    // A read-only file system (as root, permissions alone would not stop a write), or a read-only directory.
    const ro = path.join(root, 'read-only');
    fs.mkdirSync(ro);
    let mounted = false;
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,ro', 'tmpfs', ro], { stdio: 'ignore' });
      mounted = true;
    } catch {
      expect(process.getuid?.(), 'as root the read-only case needs a tmpfs mount').not.toBe(0);
      fs.chmodSync(ro, 0o555);
    }
    try {
      expectOneLine(await refused(['export', dqnRun(), '--format', 'onnx', '--out', path.join(ro, 'policy')]), /read-only\/policy: \S+read-only is not writable/);
      expect(listing(ro)).toEqual([]);
    } finally {
      if (mounted) execFileSync('umount', [ro]);
    }
  });
});
