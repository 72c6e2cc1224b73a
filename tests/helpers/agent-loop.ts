/**
 * Driving an agent through a vector env the way the training harness does (act → step → observe), and
 * comparing two agents' full states: shared by the agent contract tests and the conv torso's.
 */
import { expect } from 'vitest';
import type { Agent, AgentState } from '../../agents/agent.js';
import type { VectorEnv } from '../../envs/vector.js';

/** Drives `agent` for `vectorSteps` act → step → observe cycles (a greedy act now and then); returns the update count. */
export function drive(agent: Agent, vec: VectorEnv, vectorSteps: number, startStep = 0, onUpdate?: () => void): number {
  const n = vec.numEnvs;
  const d = vec.obsSize;
  const prevObs = new Float32Array(n * d);
  const nextObs = new Float32Array(n * d);
  let updates = 0;
  let step = startStep;
  for (let t = 0; t < vectorSteps; t++) {
    prevObs.set(vec.obs);
    const { actions } = agent.act(vec.obs, n, { greedy: false });
    vec.step(actions);
    nextObs.set(vec.obs);
    for (let i = 0; i < n; i++) if (vec.terminated[i] || vec.truncated[i]) nextObs.set(vec.finalObs.subarray(i * d, (i + 1) * d), i * d);
    step += n;
    const upd = agent.observe({ n, obs: prevObs, actions, rewards: vec.rewards, nextObs, terminated: vec.terminated, truncated: vec.truncated }, step);
    if (upd) {
      updates++;
      for (const [k, v] of Object.entries(upd)) expect(Number.isFinite(v), `update metric ${k}`).toBe(true);
      onUpdate?.();
    }
    if (t % 37 === 0) agent.act(vec.obs, n, { greedy: true });
  }
  return updates;
}

export function sameState(a: AgentState, b: AgentState, what: string): void {
  expect(JSON.stringify(b.json), what).toBe(JSON.stringify(a.json));
  expect(Object.keys(b.blobs).sort(), what).toEqual(Object.keys(a.blobs).sort());
  for (const k of Object.keys(a.blobs)) expect(Buffer.from(b.blobs[k]).equals(Buffer.from(a.blobs[k])), `${what}: blob ${k}`).toBe(true);
}
