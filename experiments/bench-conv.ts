/**
 * Conv torso benchmarks: the convolution's forward + backward per batch as tf.conv2d (what agents/conv.ts
 * uses) against an im2col + 2-D matMul; conv-DQN gradient steps/s and conv-PPO training throughput on
 * MinAtar next to the MLP figures on CartPole; MinAtar env steps/s (single env and vector). Prints a table
 * and one JSON line (and writes it with --out).
 *
 *   npx tsx experiments/bench-conv.ts [--seconds 1] [--backend wasm] [--out file.json]
 *
 * The machine's load average is printed with the results: on a shared machine compare rows of one run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { initBackend, tf, BACKENDS, type BackendChoice } from '../agents/backend.js';
import { createAgent } from '../agents/registry.js';
import { makeVec, make } from '../envs/registry.js';
import { Rng } from '../core/rng.js';
import type { Action } from '../envs/core.js';
import type { Agent } from '../agents/agent.js';
import { rate as measureRate } from './rate.js';

const argv = yargs(hideBin(process.argv))
  .scriptName('bench-conv')
  .options({
    seconds: { type: 'number', default: 1, describe: 'Measuring time per row' },
    backend: { choices: BACKENDS, default: 'wasm' as BackendChoice },
    out: { type: 'string', describe: 'Also write the JSON results to this file' },
  })
  .strict()
  .help()
  .parseSync();

interface Row {
  name: string;
  value: number;
  unit: string;
  note?: string;
}
const rows: Row[] = [];
const add = (r: Row) => {
  rows.push(r);
  console.error(`  ${r.name.padEnd(64)} ${r.value.toFixed(r.value >= 100 ? 0 : 2).padStart(10)} ${r.unit}${r.note ? `  (${r.note})` : ''}`);
};

/** iterations/s of `fn(iterations)` (experiments/rate.ts), measured for `seconds`. */
const rate = (fn: (iters: number) => void, seconds = argv.seconds): number => measureRate(fn, seconds);

/**
 * One conv layer (k×k, stride 1, no padding, ReLU) forward and backward to the filter gradient, both ways.
 * im2col: gather the patches, one fused matMul; backward patchesᵀ·dz. tf.conv2d: fused conv2d forward; the
 * wasm backend has no Conv2DBackpropFilter kernel, so the filter gradient is written as a conv2d as well
 * (the batch becomes the contracted channel axis: x as [C, H, W, B] convolved with dz as [OH, OW, B, F]).
 */
function benchConvKernels(B: number, H: number, W: number, C: number, F: number, k: number): void {
  const OH = H - k + 1;
  const OW = W - k + 1;
  const rng = new Rng('bench-conv');
  const x = tf.tensor2d(Float32Array.from({ length: B * H * W * C }, () => (rng.random() < 0.2 ? 1 : 0)), [B, H * W * C]);
  const w = tf.tensor2d(Float32Array.from({ length: k * k * C * F }, () => rng.uniform(-0.3, 0.3)), [k * k * C, F]);
  const bias = tf.tensor1d(new Float32Array(F).fill(0.01));
  const dy = tf.tensor2d(Float32Array.from({ length: B * OH * OW * F }, () => rng.uniform(-1, 1)), [B * OH * OW, F]);
  const index = new Int32Array(OH * OW * k * k * C);
  let n = 0;
  for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) for (let c = 0; c < C; c++) index[n++] = ((oy + ky) * W + (ox + kx)) * C + c;
  const patchIndex = tf.tensor1d(index, 'int32');
  const ones = tf.ones([1, B * OH * OW]) as tf.Tensor2D;
  const w4 = tf.reshape(w, [k, k, C, F]) as tf.Tensor4D;
  const flops = 2 * B * OH * OW * k * k * C * F; // one pass (forward or filter gradient)
  const shape = `B=${B} ${H}×${W}×${C}, ${F} filters ${k}×${k}`;

  const im2colForward = () => {
    const patches = tf.reshape(tf.gather(x, patchIndex, 1), [B * OH * OW, k * k * C]) as tf.Tensor2D;
    return { patches, y: tf.fused.matMul({ a: patches, b: w, bias, activation: 'relu' }) };
  };
  const im2col = (backward: boolean) => (iters: number) => {
    for (let i = 0; i < iters; i++) {
      const out = tf.tidy(() => {
        const { patches, y } = im2colForward();
        if (!backward) return y;
        const dz = tf.mul(dy, tf.step(y));
        return tf.concat([tf.reshape(tf.matMul(tf.transpose(patches), dz), [-1]), tf.reshape(tf.matMul(ones, dz), [-1])]);
      });
      out.dataSync();
      out.dispose();
    }
  };
  const conv2dForward = () => tf.fused.conv2d({ x: tf.reshape(x, [B, H, W, C]) as tf.Tensor4D, filter: w4, strides: 1, pad: 'valid', bias, activation: 'relu' });
  const conv2d = (backward: boolean) => (iters: number) => {
    for (let i = 0; i < iters; i++) {
      const out = tf.tidy(() => {
        const y = conv2dForward();
        if (!backward) return y;
        const dz = tf.mul(tf.reshape(dy, [B, OH, OW, F]), tf.step(y)) as tf.Tensor4D;
        const xT = tf.transpose(tf.reshape(x, [B, H, W, C]), [3, 1, 2, 0]) as tf.Tensor4D; // [C, H, W, B]
        const dzT = tf.transpose(dz, [1, 2, 0, 3]) as tf.Tensor4D; // [OH, OW, B, F]
        const dW = tf.transpose(tf.conv2d(xT, dzT, 1, 'valid'), [1, 2, 0, 3]); // [C, k, k, F] → [k, k, C, F]
        return tf.concat([tf.reshape(dW, [-1]), tf.reshape(tf.sum(dz, [0, 1, 2]), [-1])]);
      });
      out.dataSync();
      out.dispose();
    }
  };
  // Both ways compute the same thing.
  const a = tf.tidy(() => im2colForward().y);
  const b = tf.tidy(() => tf.reshape(conv2dForward(), [B * OH * OW, F]));
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
  tf.dispose([a, b]);
  if (!(diff < 1e-4)) throw new Error(`im2col and tf.conv2d disagree by ${diff}`);
  for (const [label, fn, passes] of [
    ['im2col + matMul, forward', im2col(false), 1],
    ['tf.conv2d, forward', conv2d(false), 1],
    ['im2col + matMul, forward + filter gradient', im2col(true), 2],
    ['tf.conv2d, forward + filter gradient (as a conv2d)', conv2d(true), 2],
  ] as const) {
    const r = rate(fn);
    add({ name: `${label} (${shape})`, value: r, unit: 'batches/s', note: `${((r * passes * flops) / 1e9).toFixed(2)} GFLOP/s` });
  }
  tf.dispose([x, w, bias, dy, patchIndex, ones, w4]);
}

/** act → step → observe with one gradient step per env step (batch `batchSize`): gradient steps/s. */
function gradientSteps(agentName: string, envId: string, hp: Record<string, unknown>, label: string): void {
  const vec = makeVec(envId, 1);
  const agent: Agent = createAgent(agentName, { observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, numEnvs: 1 }, { learningStarts: 0, trainFreq: 1, gradientSteps: 1, ...hp }, 0);
  vec.reset({ seed: 0 });
  const d = vec.obsSize;
  const prev = new Float32Array(d);
  let step = 0;
  const r = rate((iters) => {
    for (let i = 0; i < iters; i++) {
      prev.set(vec.obs);
      const { actions } = agent.act(vec.obs, 1, { greedy: false });
      vec.step(actions);
      agent.observe({ n: 1, obs: prev, actions, rewards: vec.rewards, nextObs: vec.obs, terminated: vec.terminated, truncated: vec.truncated }, ++step + 1000);
    }
  }, argv.seconds * 2);
  add({ name: `${label}: gradient steps (incl. 1 env step)`, value: r, unit: 'steps/s' });
  agent.dispose();
  vec.close();
}

/** Training throughput of an on-policy agent: env steps/s with its updates (one rollout to warm up). */
function onPolicyThroughput(agentName: string, envId: string, numEnvs: number, hp: Record<string, unknown>, label: string): void {
  const vec = makeVec(envId, numEnvs);
  const agent: Agent = createAgent(agentName, { observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, numEnvs }, hp, 0);
  vec.reset({ seed: 0 });
  const d = vec.obsSize;
  const prev = new Float32Array(numEnvs * d);
  const next = new Float32Array(numEnvs * d);
  let step = 0;
  const r = rate((iters) => {
    for (let i = 0; i < iters; i++) {
      prev.set(vec.obs);
      const { actions } = agent.act(vec.obs, numEnvs, { greedy: false });
      vec.step(actions);
      next.set(vec.obs);
      for (let e = 0; e < numEnvs; e++) if (vec.terminated[e] || vec.truncated[e]) next.set(vec.finalObs.subarray(e * d, (e + 1) * d), e * d);
      step += numEnvs;
      agent.observe({ n: numEnvs, obs: prev, actions, rewards: vec.rewards, nextObs: next, terminated: vec.terminated, truncated: vec.truncated }, step);
    }
  }, argv.seconds * 4);
  add({ name: `${label}: training env steps (updates included)`, value: r * numEnvs, unit: 'env-steps/s' });
  agent.dispose();
  vec.close();
}

function minatarEnvs(): void {
  const rng = new Rng('bench-conv-envs');
  for (const game of ['Breakout', 'Freeway']) {
    const id = `MinAtar/${game}-v1`;
    const env = make(id);
    const acts: Action[] = Array.from({ length: 4096 }, () => env.actionSpace.sample(rng) as Action);
    env.reset({ seed: 0 });
    const single = rate((iters) => {
      for (let i = 0; i < iters; i++) {
        const res = env.step(acts[i & 4095]);
        if (res.terminated || res.truncated) env.reset();
      }
    });
    add({ name: `${id} single env (make)`, value: single, unit: 'steps/s' });
    for (const n of [8, 64]) {
      const vec = makeVec(id, n);
      vec.reset({ seed: 0 });
      const batches = Array.from({ length: 64 }, () => Int32Array.from({ length: n }, () => rng.int(3)));
      const r = rate((iters) => {
        for (let i = 0; i < iters; i++) vec.step(batches[i & 63]);
      });
      add({ name: `${id} vector N=${n}`, value: r * n, unit: 'env-steps/s' });
      vec.close();
    }
  }
}

const backend = await initBackend(argv.backend);
const load = os.loadavg();
console.error(`bench-conv: backend ${backend}, ${os.cpus().length} cores, load average ${load.map((l) => l.toFixed(1)).join(' ')} (1/5/15 min)`);
benchConvKernels(32, 10, 10, 4, 16, 3);
benchConvKernels(32, 32, 32, 3, 16, 3);
const minatarNet = { hidden: [128], batchSize: 32, bufferSize: 10_000 };
gradientSteps('dqn', 'MinAtar/Breakout-v1', minatarNet, 'conv-DQN MinAtar Breakout, 16×3×3 conv + 128, batch 32');
gradientSteps('dqn', 'CartPole-v1', { batchSize: 32 }, 'MLP-DQN CartPole, 64-64, batch 32');
onPolicyThroughput('ppo', 'MinAtar/Breakout-v1', 8, { hidden: [128], activation: 'relu', numSteps: 128, numMinibatches: 4, updateEpochs: 4 }, 'conv-PPO MinAtar Breakout, 8 envs × 128 steps, 4×4 minibatch epochs');
onPolicyThroughput('ppo', 'CartPole-v1', 8, { numSteps: 128, numMinibatches: 4, updateEpochs: 4 }, 'MLP-PPO CartPole, 8 envs × 128 steps, 4×4 minibatch epochs');
minatarEnvs();
const result = { backend, cores: os.cpus().length, loadAverage: load, loadAverageAfter: os.loadavg(), rows };
console.log(JSON.stringify(result));
if (argv.out) fs.writeFileSync(argv.out, JSON.stringify(result, null, 2) + '\n');
