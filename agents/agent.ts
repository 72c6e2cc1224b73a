/**
 * The one surface every agent shares. The training harness (experiments/harness/trainer.ts) drives any
 * agent through it: it steps the vector env, hands each batch of transitions to `observe` (where off-policy
 * agents store and train, and on-policy agents fill a rollout and update when it is full), evaluates,
 * checkpoints and records — without knowing which algorithm it runs.
 *
 * Each agent file also exports an {@link AgentRegistration} (name, hyperparameter schema, action spaces,
 * constructor); agents/registry.ts lists them, and tests/agent-contract.test.ts checks every registered
 * agent against this contract.
 *
 * Library use: `createAgent(name, info, overrides, seed)` (agents/registry.ts), `agent.act(obs, n, {greedy: true})`,
 * `saveAgent(agent, dir)` / `loadAgent(dir)` (experiments/harness/agent-io.ts).
 */
import type { Space } from '../envs/spaces.js';
import type { HyperparamSchema } from './hyperparams.js';

export interface ActOptions {
  /** Greedy / deterministic action (evaluation), instead of the exploring one. */
  greedy: boolean;
}

export interface ActResult {
  /** `n × actionSize` values: integer actions for Discrete, floats (already inside the box) for Box. */
  actions: Int32Array | Float32Array;
  /** Per-env outputs the viewer shows, flat `n × k`: Q-values (DQN) or action probabilities (policy gradient). */
  qValues?: Float32Array;
  probs?: Float32Array;
}

/** One vector-env step of experience; every array is row-major over the `n` envs. */
export interface TransitionBatch {
  n: number;
  obs: Float32Array;
  actions: Int32Array | Float32Array;
  rewards: Float64Array;
  /**
   * The observation after the action: the env's next observation, or — where the episode ended on this
   * step — its final observation (before the autoreset). Used to bootstrap on truncation.
   */
  nextObs: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
}

/** Scalars an update produced, logged to metrics.jsonl as `{kind: 'update', ...}`. */
export type UpdateMetrics = Record<string, number>;

export interface AgentInfo {
  observationSpace: Space;
  actionSpace: Space;
  numEnvs: number;
}

/** A JSON-able agent state, plus named binary blobs (weights, replay buffer) stored beside it. */
export interface AgentState {
  json: Record<string, unknown>;
  blobs: Record<string, Uint8Array>;
}

export interface Agent {
  /** 'dqn', 'ppo', 'a2c', 'reinforce'. */
  readonly name: string;
  /** The resolved hyperparameters (what config.json stores). */
  readonly config: object;
  /** The spaces and env count it was built for, and its seed (what `saveAgent` stores to rebuild it). */
  readonly info: AgentInfo;
  readonly seed: number;
  /** Actions for `n` observation rows (one batched forward pass). */
  act(obs: Float32Array, n: number, opts: ActOptions): ActResult;
  /**
   * Takes one vector step of experience (the one `act` just chose, with `greedy: false`). `step` is the
   * total env-step count after it. Returns update metrics when it trained on this call, else null.
   */
  observe(batch: TransitionBatch, step: number): UpdateMetrics | null;
  /** Whether every weight is finite (the divergence guard checks after updates). */
  weightsFinite(): boolean;
  /** Exploration/learning schedule values to show in the progress line, e.g. `{eps: 0.12}`. */
  progressInfo(): Record<string, number>;
  /**
   * Everything the agent's future depends on (weights, optimiser, random streams, counters and, where the
   * agent has one and checkpoints it, the replay buffer). `{ replay: false }` leaves the experience out (the
   * replay buffer, an on-policy agent's rollout so far): what a saved policy needs (best/, a copy to act
   * with), not what a resumed run needs.
   */
  getState(opts?: { replay?: boolean }): AgentState;
  setState(state: AgentState): void;
  dispose(): void;
}

/** What an agent file exports so the registry, the CLI and the contract tests can use it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface AgentRegistration<C extends object = any> {
  /** Lower-case name used on the command line: 'dqn', 'ppo', … */
  name: string;
  /** One line for `--help` and `tsgym hyperparams`. */
  description: string;
  /** Every hyperparameter: type, valid range or choices, default, description (agents/hyperparams.ts). */
  hyperparams: HyperparamSchema<C>;
  /** Which action spaces it supports. */
  actionSpaces: ('Discrete' | 'Box')[];
  /**
   * Overrides that make the agent train within a few hundred env steps on a small network (first update
   * early, small batches and buffers): what the contract tests (tests/agent-contract.test.ts) run it with.
   */
  smallConfig?: Partial<C>;
  /**
   * Builds the agent from a config the registry resolved and validated against `hyperparams` (constructors
   * validate again, for library users who call them directly); `seed` seeds every random stream it owns.
   */
  create: (info: AgentInfo, hyperparams: Record<string, unknown>, seed: number) => Agent;
}
