import { initBackend } from './agents/backend.js';
import { createAgent } from './agents/registry.js';
import { makeVec } from './envs/registry.js';
import { Discrete } from './envs/spaces.js';
import { presetFor } from './experiments/presets.js';
await initBackend('wasm');
function drive(agent: any, steps: number, n = 4, seed = 0) {
  const vec = makeVec('CartPole-v1', n); vec.reset({ seed });
  const prev = new Float32Array(n * 4), next = new Float32Array(n * 4); const ms: any[] = [];
  for (let step = n; step <= steps; step += n) {
    prev.set(vec.obs); const { actions } = agent.act(vec.obs, n, { greedy: false }); vec.step(actions); next.set(vec.obs);
    for (let i = 0; i < n; i++) if (vec.terminated[i] || vec.truncated[i]) next.set(vec.finalObs.subarray(i * 4, i * 4 + 4), i * 4);
    const m = agent.observe({ n, obs: prev, actions, rewards: vec.rewards, nextObs: next, terminated: vec.terminated, truncated: vec.truncated }, step);
    if (m) ms.push(m);
  }
  return ms;
}
const h = (a: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s = (s * 31 + Math.round(a[i] * 1e6)) % 1e9; return s; };
for (const hp of [{ ...presetFor('dqn', 'CartPole-v1').hyperparams, totalSteps: 6000 }, { learningStarts: 100, prioritized: true, nStep: 3, dueling: true, tau: 0.5, targetUpdateInterval: 10 }]) {
  const agent: any = createAgent('dqn', { observationSpace: makeVec('CartPole-v1', 1).singleObservationSpace, actionSpace: new Discrete(2), numEnvs: 4 }, hp, 3);
  const ms = drive(agent, 6000);
  console.log(h(agent.online.params), h(agent.target.params), JSON.stringify(ms[ms.length - 1]), ms.length);
  agent.dispose();
}
