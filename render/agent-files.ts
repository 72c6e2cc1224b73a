/**
 * Read-only access to a run's saved agents for the viewer server, so the live-agent page can load one:
 * `best/` (the agent of the run's best evaluation, saveAgent format) or a checkpoint in `checkpoints/`
 * ('latest' or a step). Every path goes through `resolveInside`, as for the rest of the API.
 *
 * The file layout is the harness's (experiments/harness/agent-io.ts and checkpoint.ts):
 * `best/agent.json` + `best/state/{latest.json, step-…/state.json, <blob>.bin}`;
 * `checkpoints/{latest.json, step-<9 digits>/{state.json, <blob>.bin}}` with the agent under `json.agent`
 * and the agent's name, seed and hyperparameters in the run's `config.json`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentSource, AgentSourcesResponse } from './api-types.js';
import { HttpError, resolveInside } from './runs-index.js';

const STEP_DIR = /^step-(\d{9})$/;

async function readJson(root: string, segments: string[], what: string): Promise<Record<string, unknown>> {
  const file = await resolveInside(root, segments, what);
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new HttpError(422, `${segments.join('/')} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new HttpError(422, `${segments.join('/')} must hold a JSON object`);
  return data as Record<string, unknown>;
}

/** Which agents a run has saved: best/ and its checkpoint steps. */
export async function listAgentSources(runsDir: string, run: string): Promise<AgentSourcesResponse> {
  const dir = await resolveInside(runsDir, [run], 'run');
  let best = false;
  try {
    await resolveInside(dir, ['best', 'agent.json']);
    best = true;
  } catch {
    best = false;
  }
  let checkpoints: number[] = [];
  try {
    checkpoints = (await readdir(join(dir, 'checkpoints')))
      .map((d) => STEP_DIR.exec(d))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  } catch {
    checkpoints = [];
  }
  return { run, best, checkpoints };
}

/** The checkpoint directory segments (below the run) for `which`: 'best', 'latest' or a step number. */
async function stateDir(runDir: string, which: string): Promise<{ segments: string[]; fromBest: boolean }> {
  if (which === 'best') {
    const pointer = await readJson(runDir, ['best', 'state', 'latest.json'], 'best agent');
    if (typeof pointer.dir !== 'string') throw new HttpError(422, 'best/state/latest.json has no "dir"');
    return { segments: ['best', 'state', pointer.dir], fromBest: true };
  }
  if (which === 'latest') {
    const pointer = await readJson(runDir, ['checkpoints', 'latest.json'], 'checkpoint');
    if (typeof pointer.dir !== 'string') throw new HttpError(422, 'checkpoints/latest.json has no "dir"');
    return { segments: ['checkpoints', pointer.dir], fromBest: false };
  }
  if (!/^\d+$/.test(which)) throw new HttpError(400, `agent "${which}": ask for best, latest or a checkpoint step number`);
  return { segments: ['checkpoints', `step-${which.padStart(9, '0')}`], fromBest: false };
}

/** What the page needs to rebuild an agent: its name, spaces, hyperparameters, seed, JSON state and blob names. */
export async function readAgentSource(runsDir: string, run: string, which: string): Promise<AgentSource> {
  const runDir = await resolveInside(runsDir, [run], 'run');
  const config = await readJson(runDir, ['config.json'], 'run config');
  const { segments, fromBest } = await stateDir(runDir, which);
  const state = await readJson(runDir, [...segments, 'state.json'], 'agent state');
  const blobs = Array.isArray(state.blobs) ? state.blobs.filter((b): b is string => typeof b === 'string') : [];
  let agentJson: unknown;
  let step: number | null;
  let header: Record<string, unknown>;
  if (fromBest) {
    header = await readJson(runDir, ['best', 'agent.json'], 'best agent');
    agentJson = (state.json as Record<string, unknown> | undefined) ?? null;
    const summary = await readJson(runDir, ['summary.json'], 'run summary').catch(() => null);
    const bestEval = summary?.bestEval as { step?: unknown } | null | undefined;
    step = typeof bestEval?.step === 'number' ? bestEval.step : null;
  } else {
    header = { name: config.agent, hyperparams: config.hyperparams, seed: config.seed, numEnvs: config.numEnvs };
    agentJson = (state.json as { agent?: unknown } | undefined)?.agent ?? null;
    step = typeof state.step === 'number' ? state.step : null;
  }
  if (typeof header.name !== 'string') throw new HttpError(422, `${run}: cannot tell which agent this is (no agent name)`);
  if (typeof agentJson !== 'object' || agentJson === null) throw new HttpError(422, `${run}: ${segments.join('/')}/state.json holds no agent state`);
  return {
    run,
    which,
    step,
    name: header.name,
    envId: typeof config.envId === 'string' ? config.envId : String(config.env ?? ''),
    envKwargs: (config.envKwargs as Record<string, unknown> | undefined) ?? {},
    hyperparams: (header.hyperparams as Record<string, unknown> | undefined) ?? {},
    seed: typeof header.seed === 'number' ? header.seed : 0,
    numEnvs: typeof header.numEnvs === 'number' ? header.numEnvs : 1,
    observationSpace: (header.observationSpace as AgentSource['observationSpace']) ?? null,
    actionSpace: (header.actionSpace as AgentSource['actionSpace']) ?? null,
    state: agentJson as Record<string, unknown>,
    blobs,
  };
}

/** The bytes of one blob of that agent state (weights, optimiser moments, buffers). */
export async function readAgentBlob(runsDir: string, run: string, which: string, blob: string): Promise<Buffer> {
  const runDir = await resolveInside(runsDir, [run], 'run');
  const { segments } = await stateDir(runDir, which);
  const state = await readJson(runDir, [...segments, 'state.json'], 'agent state');
  if (!Array.isArray(state.blobs) || !state.blobs.includes(blob)) throw new HttpError(404, `${run}: the ${which} agent has no blob "${blob}"`);
  return readFile(await resolveInside(runDir, [...segments, `${blob}.bin`], 'blob'));
}
