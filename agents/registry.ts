/**
 * Agent names → constructors. The harness, the CLI and `loadAgent` build agents only through here.
 */
import { TsgymError } from '../envs/core.js';
import type { Agent, AgentInfo } from './agent.js';
import type { Space } from '../envs/spaces.js';
import { DqnAgent } from './dqn.js';
import { PpoAgent } from './ppo.js';
import { A2cAgent } from './a2c.js';
import { ReinforceAgent } from './reinforce.js';
import { SacAgent } from './sac.js';
import { Td3Agent } from './td3.js';

/** Builds an agent from resolved hyperparameters; `seed` seeds its every random stream (init, exploration, sampling). */
export type AgentFactory = (info: AgentInfo, hyperparams: Record<string, unknown>, seed: number) => Agent;

export interface AgentRegistration {
  name: string;
  description: string;
  /** Default hyperparameters; presets and `--set key=value` override them. Unknown keys are rejected. */
  defaults: Record<string, unknown>;
  create: AgentFactory;
  /** Which action spaces it supports. */
  actionSpaces: ('Discrete' | 'Box')[];
}

const agents = new Map<string, AgentRegistration>();

export function registerAgent(reg: AgentRegistration): void {
  agents.set(reg.name, reg);
}

export function agentRegistration(name: string): AgentRegistration {
  const reg = agents.get(name.toLowerCase());
  if (!reg) throw new TsgymError(`unknown agent '${name}'. Available agents: ${[...agents.keys()].join(', ')}`);
  return reg;
}

export function agentNames(): string[] {
  return [...agents.keys()];
}

/** Merges overrides into the agent's defaults, rejecting unknown keys and values of the wrong type. */
export function resolveHyperparams(name: string, overrides: Record<string, unknown>): Record<string, unknown> {
  const reg = agentRegistration(name);
  const out: Record<string, unknown> = { ...reg.defaults };
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in reg.defaults)) {
      throw new TsgymError(`${name}: unknown hyperparameter '${k}'. Valid keys: ${Object.keys(reg.defaults).sort().join(', ')}`);
    }
    const def = reg.defaults[k];
    if (def !== null && typeof def !== typeof v && !(Array.isArray(def) && Array.isArray(v))) {
      throw new TsgymError(`${name}: hyperparameter '${k}' must be a ${Array.isArray(def) ? 'list' : typeof def} (default ${JSON.stringify(def)}), got ${JSON.stringify(v)}`);
    }
    out[k] = v;
  }
  return out;
}

/** Throws a clear error unless `agent` can act in `actionSpace` (of the env `envId`). */
export function assertAgentSupports(agent: string, actionSpace: Space, envId: string): void {
  const reg = agentRegistration(agent);
  if (!reg.actionSpaces.includes(actionSpace.type)) {
    throw new TsgymError(`${reg.name} does not support ${actionSpace.type} action spaces (${envId} has ${actionSpace}); it supports ${reg.actionSpaces.join(', ')}`);
  }
}

export function createAgent(name: string, info: AgentInfo, overrides: Record<string, unknown>, seed: number): Agent {
  const reg = agentRegistration(name);
  assertAgentSupports(name, info.actionSpace, 'the env');
  return reg.create(info, resolveHyperparams(name, overrides), seed);
}

registerAgent({
  name: 'dqn',
  description: 'Deep Q-Network (double DQN, target network, optional dueling head, prioritized replay, n-step returns)',
  defaults: DqnAgent.defaults as unknown as Record<string, unknown>,
  create: (info, hp, seed) => new DqnAgent(info, hp, seed),
  actionSpaces: ['Discrete'],
});

registerAgent({
  name: 'ppo',
  description: 'Proximal Policy Optimization (clipped surrogate, GAE, value clipping, minibatch epochs, LR/clip annealing, optional KL early stop)',
  defaults: PpoAgent.defaults as unknown as Record<string, unknown>,
  create: (info, hp, seed) => new PpoAgent(info, hp, seed),
  actionSpaces: ['Discrete', 'Box'],
});

registerAgent({
  name: 'a2c',
  description: 'Advantage Actor-Critic, synchronous (n-step returns or GAE, one gradient step per rollout)',
  defaults: A2cAgent.defaults as unknown as Record<string, unknown>,
  create: (info, hp, seed) => new A2cAgent(info, hp, seed),
  actionSpaces: ['Discrete', 'Box'],
});

registerAgent({
  name: 'reinforce',
  description: 'REINFORCE with a learned value baseline (Monte-Carlo returns, one gradient step per batch)',
  defaults: ReinforceAgent.defaults as unknown as Record<string, unknown>,
  create: (info, hp, seed) => new ReinforceAgent(info, hp, seed),
  actionSpaces: ['Discrete', 'Box'],
});

registerAgent({
  name: 'sac',
  description: 'Soft Actor-Critic (twin Q critics with Polyak targets, tanh-squashed Gaussian policy, learned temperature)',
  defaults: SacAgent.defaults as unknown as Record<string, unknown>,
  create: (info, hp, seed) => new SacAgent(info, hp, seed),
  actionSpaces: ['Box'],
});

registerAgent({
  name: 'td3',
  description: 'Twin Delayed DDPG (deterministic tanh actor, twin Q critics, target policy smoothing, delayed actor and target updates)',
  defaults: Td3Agent.defaults as unknown as Record<string, unknown>,
  create: (info, hp, seed) => new Td3Agent(info, hp, seed),
  actionSpaces: ['Box'],
});
