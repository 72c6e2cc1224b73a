/**
 * The agent registry: the list of agents the harness, the CLI, `loadAgent` and the contract tests know.
 * Each agent file exports its own registration (name, description, hyperparameter schema, action spaces,
 * constructor); adding an agent is one import and one entry in AGENTS below (or `registerAgent` from
 * library code).
 */
import { TsgymError } from '../core/errors.js';
import type { Agent, AgentInfo, AgentRegistration } from './agent.js';
import type { Space } from '../envs/spaces.js';
import { defaultsOf, validateHyperparams, type HyperparamContext } from './hyperparams.js';
import { dqnRegistration } from './dqn.js';
import { ppoRegistration } from './ppo.js';
import { a2cRegistration } from './a2c.js';
import { reinforceRegistration } from './reinforce.js';
import { sacRegistration } from './sac.js';
import { td3Registration } from './td3.js';

export type { AgentRegistration } from './agent.js';

/** The built-in agents, in the order the CLI lists them. */
const AGENTS: AgentRegistration[] = [dqnRegistration, ppoRegistration, a2cRegistration, reinforceRegistration, sacRegistration, td3Registration];

/** A registration as the registry hands it out, with its defaults resolved. */
export type RegisteredAgent = AgentRegistration & {
  /** The schema's defaults (a fresh copy per lookup). */
  readonly defaults: Record<string, unknown>;
};

const agents = new Map<string, AgentRegistration>();

export function registerAgent(reg: AgentRegistration): void {
  const name = reg.name.toLowerCase();
  if (agents.has(name)) throw new TsgymError(`agent '${name}' is already registered`);
  agents.set(name, reg);
}

for (const reg of AGENTS) registerAgent(reg);

export function agentRegistration(name: string): RegisteredAgent {
  const reg = agents.get(String(name).toLowerCase());
  if (!reg) throw new TsgymError(`unknown agent '${name}'. Available agents: ${[...agents.keys()].join(', ')}`);
  return { ...reg, defaults: defaultsOf(reg.hyperparams) as Record<string, unknown> };
}

export function agentNames(): string[] {
  return [...agents.keys()];
}

/** Every registered agent (built-in ones first), for listings and the contract tests. */
export function agentRegistrations(): AgentRegistration[] {
  return [...agents.values()];
}

/**
 * Resolves overrides against the agent's hyperparameter schema: defaults filled in, unknown keys, wrong types,
 * out-of-range values and broken cross-key constraints refused with one clear line (agents/hyperparams.ts).
 * Pass `ctx.numEnvs` when known, so constraints on the rollout size are checked too.
 */
export function resolveHyperparams(name: string, overrides: Record<string, unknown>, ctx: HyperparamContext = {}): Record<string, unknown> {
  const reg = agentRegistration(name);
  return validateHyperparams(reg.name, reg.hyperparams, overrides, ctx) as Record<string, unknown>;
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
  return reg.create(info, resolveHyperparams(name, overrides, { numEnvs: info.numEnvs }), seed);
}
