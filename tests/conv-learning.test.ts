/**
 * Learning smoke test for the conv torso: PPO learns to keep the lane keeper's car on a straight road from
 * the camera image alone (`obs: 'pixels'`, difficulty 0), in 9000 env steps. The car starts off-centre and
 * slightly askew, so holding the wheel straight drifts off the road (about 107 over the 400-step evaluation),
 * and random steering crashes at once (about 13); staying on needs the lane's position read from the image.
 * Fixed seed on the wasm backend: the run is bit-reproducible, so the result is the same on every run.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../agents/backend.js';
import { createAgent } from '../agents/registry.js';
import { ConvNet } from '../agents/conv.js';
import { PolicyGradientAgent } from '../agents/policy-gradient.js';
import { make, makeVec } from '../envs/registry.js';
import { drive } from './helpers/agent-loop.js';

const ENV = 'LaneKeeper-v0';
const KWARGS = { obs: 'pixels', difficulty: 0 };
const EVAL_STEPS = 400;

/** Mean return of `policy` over 5 fixed-seed episodes of at most EVAL_STEPS steps. */
function evaluate(policy: (obs: Float32Array) => number): number {
  let total = 0;
  for (let e = 0; e < 5; e++) {
    const env = make(ENV, KWARGS, { maxEpisodeSteps: EVAL_STEPS });
    let obs = env.reset({ seed: 1000 + e }).obs as Float32Array;
    for (;;) {
      const r = env.step(policy(obs));
      total += r.reward;
      obs = r.obs as Float32Array;
      if (r.terminated || r.truncated) break;
    }
  }
  return total / 5;
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('conv torso learning smoke test', () => {
  it('PPO with a conv torso keeps the car on the road from pixels within 9000 env steps', () => {
    const straight = evaluate(() => 2);
    let k = 0;
    const random = evaluate(() => (k++ * 7919) % 5);
    expect(straight).toBeLessThan(120);
    expect(random).toBeLessThan(30);

    const n = 8;
    const steps = 9000;
    const vec = makeVec(ENV, n, KWARGS);
    const info = { observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, numEnvs: n };
    const agent = createAgent('ppo', info, { hidden: [32], convChannels: 8, convKernel: 4, convStride: 2, numSteps: 64, activation: 'relu', totalSteps: steps }, 4) as PolicyGradientAgent;
    expect(agent.net.nets.every(([, net]) => net instanceof ConvNet)).toBe(true);
    vec.reset({ seed: 0 });
    drive(agent, vec, steps / n);
    const learned = evaluate((obs) => agent.act(obs, 1, { greedy: true }).actions[0]);
    agent.dispose();
    vec.close();
    // Measured: 198.7 (holding straight 107.3, random 12.7).
    expect(learned).toBeGreaterThan(straight + 60);
  }, 300_000); // ~7 s on an idle core; 75–120 s at a load average of 50
});
