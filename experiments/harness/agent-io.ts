/**
 * Agents outside the training loop: `saveAgent(agent, dir)` / `loadAgent(dir)` for library users, and
 * `loadAgentFromRun(runDir, checkpoint)` for the record command. A saved agent is a checkpoint directory
 * (state.json + blobs, written atomically) plus `agent.json` naming the agent, its hyperparameters and the
 * spaces it was built for.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Agent, AgentInfo } from '../../agents/agent.js';
import { createAgent } from '../../agents/registry.js';
import { TsgymError } from '../../core/errors.js';
import { makeVec } from '../../envs/registry.js';
import { spaceFromJSON } from '../../envs/spaces.js';
import { readJsonFile, writeJsonAtomic } from './atomic.js';
import { findCheckpoint, listCheckpointSteps, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { readRunConfig, readRunSummary, runPath } from '../run-files.js';
import { AGENT_FILES, type AgentFile, type RunConfig } from '../../formats/run-format.js';

/**
 * Saves the agent's state (weights, optimiser, schedules, random streams, and its replay buffer if it
 * checkpoints one) to `dir`. `replay: false` saves it as a policy only, as a run's best/ is: loading it
 * acts identically, but training on from it starts with an empty buffer.
 */
export function saveAgent(agent: Agent, dir: string, opts: { replay?: boolean } = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  const st = agent.getState(opts);
  saveCheckpoint(path.join(dir, AGENT_FILES.state), { step: 0, json: st.json, blobs: st.blobs }, 1);
  const file: AgentFile = {
    format: 'tsgym-agent',
    version: 1,
    name: agent.name,
    hyperparams: agent.config as Record<string, unknown>,
    observationSpace: agent.info.observationSpace.toJSON(),
    actionSpace: agent.info.actionSpace.toJSON(),
    numEnvs: agent.info.numEnvs,
    seed: agent.seed,
  };
  writeJsonAtomic(path.join(dir, AGENT_FILES.agent), file);
}

/** Loads an agent saved by {@link saveAgent}; the tf backend must be initialised (`initBackend`). */
export function loadAgent(dir: string): Agent {
  const agentFile = path.join(dir, AGENT_FILES.agent);
  const file = readJsonFile<AgentFile>(agentFile, 'saved agent');
  if (file.format !== 'tsgym-agent') throw new TsgymError(`${agentFile} is not a saved tsgym agent`);
  if (file.version !== 1) throw new TsgymError(`${agentFile} was written by a newer tsgym (version ${file.version}); this one reads version 1`);
  const info: AgentInfo = { observationSpace: spaceFromJSON(file.observationSpace), actionSpace: spaceFromJSON(file.actionSpace), numEnvs: file.numEnvs };
  const agent = createAgent(file.name, info, file.hyperparams, file.seed);
  const ck = findCheckpoint(path.join(dir, AGENT_FILES.state));
  if (!ck) throw new TsgymError(`${dir}: saved agent has no state (state/latest.json is missing)`);
  const data = loadCheckpoint(ck);
  agent.setState({ json: data.json, blobs: data.blobs });
  return agent;
}

/** Which of a run's agents to load: the latest checkpoint, the best evaluation's, or the one at an env step. */
export type CheckpointChoice = 'latest' | 'best' | number;

/** Parses a `--checkpoint` value: 'latest', 'best' or a non-negative env-step number. */
export function parseCheckpointChoice(text: string): CheckpointChoice {
  if (text === 'latest' || text === 'best') return text;
  const step = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(step)) throw new TsgymError(`--checkpoint must be 'latest', 'best' or a step number, got '${text}'`);
  return step;
}

/**
 * Builds a run's agent and loads one of its checkpoints: 'latest', an env-step number, or 'best' (the agent
 * saved at the run's best greedy evaluation).
 */
export function loadAgentFromRun(runDir: string, which: CheckpointChoice = 'latest'): { agent: Agent; config: RunConfig; step: number } {
  const config = readRunConfig(runDir);
  const bestDir = runPath(runDir, 'best');
  if (which === 'best') {
    if (!fs.existsSync(path.join(bestDir, AGENT_FILES.agent))) throw new TsgymError(`${runDir}: no best agent saved yet (it is written at the first evaluation)`);
    const summary = readRunSummary(runDir);
    return { agent: loadAgent(bestDir), config, step: summary?.bestEval?.step ?? -1 };
  }
  const ckDir = findCheckpoint(runPath(runDir, 'checkpoints'), which);
  if (!ckDir) {
    const have = listCheckpointSteps(runPath(runDir, 'checkpoints'));
    throw new TsgymError(`${runDir}: no checkpoint ${which === 'latest' ? '' : `at step ${which} `}(available: ${have.join(', ') || 'none'})`);
  }
  const vec = makeVec(config.envId, 1, config.envKwargs);
  const agent = createAgent(config.agent, { observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, numEnvs: config.numEnvs }, config.hyperparams, config.seed);
  const data = loadCheckpoint(ckDir);
  agent.setState({ json: data.json.agent as Record<string, unknown>, blobs: data.blobs });
  return { agent, config, step: data.step };
}
