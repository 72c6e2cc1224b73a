/**
 * `values.json` for gridworld runs, written by the trainer at the end of training: the viewer draws it as
 * a value/policy overlay on the map (render/viewer/src/scenes/gridworld.ts). Three overlays, one per state
 * (the env's state numbering: row-major over the cells the agent can stand in):
 *
 * - `agent policy (exact value)`: the trained agent's greedy action in each state, and the exact value of
 *   following that policy, by iterative policy evaluation on the env's known model;
 * - `agent Q-values (max)`: for agents that report Q-values (DQN), its own estimate max_a Q(s, a);
 * - `optimal (value iteration)`: v* and an optimal policy of the same model.
 *
 * All use the agent's discount (its `gamma` hyperparameter, else 1). Other envs get no file.
 */
import { policyEvaluation, valueIteration, type PlanningResult } from '../../agents/planning.js';
import type { Agent } from '../../agents/agent.js';
import { runPath, writeValuesFile } from '../run-files.js';
import { type ValuesFile, type ValuesOverlay } from '../../formats/run-format.js';
import { make } from '../../envs/registry.js';
import { GridWorldEnv } from '../../envs/gridworld.js';

/** Sweeps before planning gives up (a greedy policy that never reaches a terminal state, with gamma 1). */
const MAX_SWEEPS = 20_000;

/** The overlays for `agent` on `env` (exported for tests). */
export function gridworldValues(env: GridWorldEnv, agent: Agent, gamma: number): ValuesFile {
  const S = env.numStates;
  const d = env.observationOf(0).length;
  const obs = new Float32Array(S * d);
  for (let s = 0; s < S; s++) obs.set(env.observationOf(s), s * d);
  // Every state in one batched greedy forward pass.
  const out = agent.act(obs, S, { greedy: true });
  const actions = Array.from(out.actions, (a, s) => (env.isTerminal(s) ? 0 : a));
  const opts = { gamma, maxIterations: MAX_SWEEPS, onMaxIterations: 'return' as const };
  const note = (r: PlanningResult, what: string) =>
    `${what}; gamma ${gamma}; ${r.converged ? `converged in ${r.iterations} sweeps` : `NOT converged after ${r.iterations} sweeps (the policy does not reach a terminal state from every state)`}`;
  const agentEval = policyEvaluation(env, actions, opts);
  const optimal = valueIteration(env, opts);
  const overlays: ValuesOverlay[] = [{ name: 'agent policy (exact value)', values: Array.from(agentEval.values), policy: actions, note: note(agentEval, "the agent's greedy policy, evaluated exactly on the env's model") }];
  if (out.qValues && out.qValues.length === S * env.numActions) {
    const q = out.qValues;
    const maxQ = Array.from({ length: S }, (_, s) => (env.isTerminal(s) ? 0 : Math.max(...q.subarray(s * env.numActions, (s + 1) * env.numActions))));
    overlays.push({ name: 'agent Q-values (max)', values: maxQ, policy: actions, note: "the agent's own estimate max_a Q(s, a), with its greedy action" });
  }
  overlays.push({ name: 'optimal (value iteration)', values: Array.from(optimal.values), policy: Array.from(optimal.policy), note: note(optimal, 'v* by value iteration on the exact model') });
  return { values: overlays[0].values, policy: overlays[0].policy, overlays, gamma };
}

/**
 * Writes `<runDir>/values.json` when the run's env is a gridworld (else does nothing). A failure is
 * reported on stderr and does not fail the run: the overlay is an extra.
 */
export function writeGridworldValues(runDir: string, config: { envId: string; envKwargs?: Record<string, unknown>; hyperparams?: Record<string, unknown> }, agent: Agent): void {
  const env = make(config.envId, config.envKwargs ?? {});
  try {
    const base = env.unwrapped;
    if (!(base instanceof GridWorldEnv)) return;
    const gamma = typeof config.hyperparams?.gamma === 'number' ? config.hyperparams.gamma : 1;
    writeValuesFile(runDir, gridworldValues(base, agent, gamma));
  } catch (e) {
    console.error(`warning: could not write ${runPath(runDir, 'values')}: ${(e as Error).message}`);
  } finally {
    env.close();
  }
}
