/**
 * The conv torso (agents/conv.ts) in DQN, PPO and A2C on an image env (MinAtar Breakout, 10×10×4): torso
 * resolution and its refusals, no tensor leaks, save/load round trip, same-seed determinism, resume equal to
 * an uninterrupted run, the shared trunk's gradient, and the exporter's policy graph. The gradient itself is
 * checked against tf.conv2d + tfjs autodiff in tests/conv-gradients.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, tf } from '../agents/backend.js';
import { createAgent } from '../agents/registry.js';
import { ConvNet, resolveTorso, TORSO_HYPERPARAMS, type TorsoConfig } from '../agents/conv.js';
import { Mlp } from '../agents/mlp.js';
import { DqnAgent } from '../agents/dqn.js';
import { PolicyGradientAgent } from '../agents/policy-gradient.js';
import type { Agent } from '../agents/agent.js';
import { defaultsOf } from '../agents/hyperparams.js';
import { makeVec } from '../envs/registry.js';
import { Box } from '../envs/spaces.js';
import { loadAgent, saveAgent } from '../experiments/harness/agent-io.js';
import { checkGraphReproduces, policyGraph } from '../experiments/export/policy-graph.js';
import { TsgymError } from '../core/errors.js';
import { drive, sameState } from './helpers/agent-loop.js';

const ENV = 'MinAtar/Breakout-v1';
const NUM_ENVS = 2;

/** Small configs with the conv torso chosen by 'auto' (the default). */
const CONFIGS: [string, Record<string, unknown>][] = [
  ['dqn', { hidden: [16], convChannels: 4, learningStarts: 64, batchSize: 16, bufferSize: 500, trainFreq: 2, targetUpdateInterval: 10, epsDecaySteps: 200 }],
  ['ppo', { hidden: [16], convChannels: 4, numSteps: 32, numMinibatches: 2, updateEpochs: 2 }],
  ['ppo', { hidden: [16], convChannels: 4, numSteps: 32, numMinibatches: 2, updateEpochs: 2, sharedNetwork: true, activation: 'relu', convStride: 2 }],
  ['a2c', { hidden: [16], convChannels: 4, numSteps: 8 }],
  ['dqn', { hidden: [16], convChannels: [4, 6], convStride: [1, 2], learningStarts: 64, batchSize: 16, bufferSize: 500, trainFreq: 2, targetUpdateInterval: 10, epsDecaySteps: 200 }],
  ['ppo', { hidden: [16], convChannels: [4, 6], numSteps: 32, numMinibatches: 2, updateEpochs: 2, activation: 'relu', sharedNetwork: true }],
];

function infoFor(numEnvs = NUM_ENVS) {
  const vec = makeVec(ENV, numEnvs);
  return { vec, info: { observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, numEnvs } };
}

/** The networks that see the observation (DQN: online and target; policy gradient: actor and critic, or the shared trunk). */
function networks(agent: Agent) {
  if (agent instanceof DqnAgent) return [agent.online, agent.target];
  if (agent instanceof PolicyGradientAgent) return agent.net.trunk ? [agent.net.trunk] : agent.net.nets.map(([, n]) => n);
  throw new Error(`no networks for ${agent.name}`);
}

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-conv-'));

beforeAll(async () => {
  await initBackend('wasm');
});

describe('torso resolution', () => {
  const image = new Box(0, 1, [10, 10, 4]);
  const flat = new Box(-1, 1, [4]);
  const c = defaultsOf<TorsoConfig>({ params: TORSO_HYPERPARAMS });

  it("'auto' picks conv for a Box of shape [H, W, C] and mlp for anything else; 'mlp' always gives an MLP", () => {
    expect(resolveTorso('dqn', image, c)).toEqual({ kind: 'conv', image: { height: 10, width: 10, channels: 4 }, layers: [{ channels: 16, kernel: 3, stride: 1 }] });
    // Per-layer lists: the longest sets the number of layers, a single value applies to every layer.
    expect(resolveTorso('dqn', image, { ...c, convChannels: [8, 16], convStride: [2, 1] })).toMatchObject({ layers: [{ channels: 8, kernel: 3, stride: 2 }, { channels: 16, kernel: 3, stride: 1 }] });
    expect(resolveTorso('dqn', flat, c)).toEqual({ kind: 'mlp' });
    expect(resolveTorso('dqn', new Box(0, 1, [10, 40]), c)).toEqual({ kind: 'mlp' });
    expect(resolveTorso('dqn', image, { ...c, torso: 'mlp' })).toEqual({ kind: 'mlp' });
    const { vec, info } = infoFor();
    const agent = createAgent('ppo', info, { hidden: [8] }, 0) as PolicyGradientAgent;
    expect(agent.net.nets.every(([, n]) => n instanceof ConvNet)).toBe(true);
    agent.dispose();
    const mlpAgent = createAgent('dqn', info, { hidden: [8], torso: 'mlp' }, 0) as DqnAgent;
    expect(mlpAgent.online).toBeInstanceOf(Mlp);
    mlpAgent.dispose();
    vec.close();
  });

  it("refuses torso 'conv' on a flat observation, and a kernel larger than the image, in one line", () => {
    expect(() => resolveTorso('ppo', flat, { ...c, torso: 'conv' })).toThrow(TsgymError);
    expect(() => resolveTorso('ppo', flat, { ...c, torso: 'conv' })).toThrow(/^ppo: torso 'conv' needs an image observation \(a Box of shape \[H, W, C\]\), this env observes a Box of shape \[4\]$/);
    expect(() => resolveTorso('dqn', image, { ...c, torso: 'conv', convKernel: 11 })).toThrow(/^dqn: convKernel=11 is larger than the 10×10 observation$/);
    // 10×10 → 3×3 after a 4×4 kernel of stride 3: a second 4×4 kernel does not fit.
    expect(() => resolveTorso('dqn', image, { ...c, convKernel: 4, convStride: [3, 1] })).toThrow(/^dqn: convKernel=4 is larger than the 3×3 input of conv layer 2$/);
    expect(() => resolveTorso('dqn', image, { ...c, convChannels: [8, 16], convKernel: [3, 3, 3] })).toThrow(/^dqn: the conv keys give one value for every layer or one per layer, and these lists differ in length: convChannels=\[8,16\], convKernel=\[3,3,3\], convStride=1$/);
    const vec = makeVec('CartPole-v1', 1);
    const info = { observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, numEnvs: 1 };
    for (const name of ['dqn', 'ppo', 'a2c']) expect(() => createAgent(name, info, { torso: 'conv' }, 0), name).toThrow(/torso 'conv' needs an image observation/);
    vec.close();
  });
});

describe.each(CONFIGS.map(([name, hp]) => [`${name} ${JSON.stringify(hp)}`, name, hp] as const))('conv torso: %s', (_label, name, hp) => {
  it('keeps tf.memory().numTensors flat over act/observe/update loops, and dispose frees what it allocated', () => {
    const run = () => {
      const { vec, info } = infoFor();
      vec.reset({ seed: 1 });
      const agent = createAgent(name, info, hp, 1);
      expect(networks(agent).every((n) => n instanceof ConvNet)).toBe(true);
      let baseline = -1;
      const updates = drive(agent, vec, 200, 0, () => {
        if (baseline < 0) baseline = tf.memory().numTensors;
      });
      expect(updates).toBeGreaterThanOrEqual(3);
      expect(tf.memory().numTensors).toBe(baseline);
      agent.dispose();
      vec.close();
      return tf.memory().numTensors;
    };
    const afterFirst = run();
    expect(run()).toBe(afterFirst);
  });

  it('same seed ⇒ identical training; saveAgent/loadAgent round trip continues identically; resume from getState equals the uninterrupted run', () => {
    const build = () => {
      const { vec, info } = infoFor();
      vec.reset({ seed: 5 });
      return { vec, agent: createAgent(name, info, hp, 5) };
    };
    // Uninterrupted: 150 + 100 vector steps.
    const a = build();
    drive(a.agent, a.vec, 150);
    const midState = a.agent.getState();
    const midEnv = JSON.stringify(a.vec.getState());
    drive(a.agent, a.vec, 100, 300);
    // Same seed, same steps.
    const b = build();
    drive(b.agent, b.vec, 250);
    sameState(a.agent.getState(), b.agent.getState(), 'same seed');
    // Resumed: a fresh agent given the state at 150 steps, on the env's state at that point.
    const r = build();
    r.agent.setState(midState);
    r.vec.setState(JSON.parse(midEnv));
    drive(r.agent, r.vec, 100, 300);
    sameState(a.agent.getState(), r.agent.getState(), 'resumed');
    // Through disk: saveAgent → loadAgent, same greedy actions, then both continue identically.
    const dir = fs.mkdtempSync(path.join(out, `saved-${name}-`));
    fs.rmSync(dir, { recursive: true });
    saveAgent(a.agent, dir);
    const loaded = loadAgent(dir);
    expect(loaded.config).toEqual(a.agent.config);
    sameState(a.agent.getState(), loaded.getState(), 'after load');
    expect(networks(loaded).every((n) => n instanceof ConvNet)).toBe(true);
    const obs = a.vec.obs.slice();
    expect(Array.from(loaded.act(obs, NUM_ENVS, { greedy: true }).actions)).toEqual(Array.from(a.agent.act(obs, NUM_ENVS, { greedy: true }).actions));
    const twin = makeVec(ENV, NUM_ENVS);
    twin.setState(JSON.parse(JSON.stringify(a.vec.getState())));
    drive(a.agent, a.vec, 60, 500);
    drive(loaded, twin, 60, 500);
    sameState(a.agent.getState(), loaded.getState(), 'after 60 more steps');
    for (const x of [a, b, r]) x.agent.dispose();
    loaded.dispose();
  });

  it("the exporter's policy graph reproduces its greedy actions (onnx and tfjs runtimes: export.test.ts)", () => {
    const { vec, info } = infoFor();
    const agent = createAgent(name, info, hp, 0);
    const { graph } = policyGraph(agent);
    // The greedy action needs one network (or the shared trunk): one conv2d op per conv layer.
    expect(graph.ops.filter((op) => op.op === 'conv2d')).toHaveLength(Array.isArray(hp.convChannels) ? hp.convChannels.length : 1);
    expect(() => checkGraphReproduces(agent, graph)).not.toThrow();
    agent.dispose();
    vec.close();
  });
});

describe('shared trunk', () => {
  it.each([
    ['mlp trunk', 'CartPole-v1'],
    ['conv trunk', ENV],
  ])('the policy and value losses reach the shared trunk (%s)', (_label, env) => {
    const vec = makeVec(env, 1);
    const agent = createAgent('ppo', { observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, numEnvs: 1 }, { hidden: [8], sharedNetwork: true }, 0) as PolicyGradientAgent;
    const trunk = agent.net.trunk!;
    const x = tf.randomUniform([5, vec.obsSize], 0, 1, 'float32', 1) as tf.Tensor2D;
    for (const head of ['policy', 'value'] as const) {
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(head === 'policy' ? agent.net.policy(x) : agent.net.value(x))) as tf.Scalar, trunk.variables);
      const norm = tf.tidy(() => tf.addN(trunk.variables.map((v) => tf.sum(tf.square(grads[v.name])))).dataSync()[0]);
      expect(norm, `${head} gradient at the trunk`).toBeGreaterThan(0);
      tf.dispose(grads);
    }
    x.dispose();
    agent.dispose();
    vec.close();
  });
});
