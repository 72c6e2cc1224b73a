/**
 * Read-only access to a run's saved agents for the viewer server, so the live-agent page can load one:
 * `best/` (the agent of the run's best evaluation, saveAgent format) or a checkpoint in `checkpoints/`
 * ('latest' or a step). Every path goes through `resolveInside`, as for the rest of the API, and every
 * checkpoint is checked against its manifest (plain names, regular files, sizes, sha256s) before anything of
 * it is served. The check is done once per checkpoint and remembered while its files stay as they were; the
 * blob served is hashed again on each request.
 *
 * The layout is the run format's (formats/run-format.ts): `best/agent.json` + `best/state/` (a
 * checkpoints directory holding one checkpoint); `checkpoints/{latest.json, step-<9 digits>/}` with the
 * agent under `json.agent` and the agent's name, seed and hyperparameters in the run's `config.json`.
 */
import { readdir, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { readVerifiedCheckpointFiles, sha256 } from '../../experiments/run-files.js';
import { AGENT_FILES, blobFileName, CHECKPOINT_DIR_PATTERN, CHECKPOINT_FILES, RUN_FILES, stepDirName, type CheckpointManifest } from '../../formats/run-format.js';
import type { AgentSource, AgentSourcesResponse } from '../../formats/api-types.js';
import { MAX_JSON_FILE_BYTES, VERIFIED_CHECKPOINT_CACHE_ENTRIES } from './limits.js';
import { HttpError, readFileInside, resolveInside } from './runs-index.js';

async function readJson(root: string, segments: string[], what: string): Promise<Record<string, unknown>> {
  const bytes = await readFileInside(root, segments, { what, maxBytes: MAX_JSON_FILE_BYTES, limitName: 'MAX_JSON_FILE_BYTES' });
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString('utf8'));
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
    await resolveInside(dir, [RUN_FILES.best, AGENT_FILES.agent]);
    best = true;
  } catch {
    best = false;
  }
  let checkpoints: number[] = [];
  try {
    checkpoints = (await readdir(join(dir, RUN_FILES.checkpoints)))
      .filter((d) => CHECKPOINT_DIR_PATTERN.test(d))
      .map((d) => Number(d.slice(5)))
      .sort((a, b) => a - b);
  } catch {
    checkpoints = [];
  }
  return { run, best, checkpoints };
}

/** The checkpoint directory segments (below the run) for `which`: 'best', 'latest' or a step number. */
async function stateDir(runDir: string, which: string): Promise<{ segments: string[]; fromBest: boolean }> {
  const pointed = async (segments: string[], what: string) => {
    const pointer = await readJson(runDir, [...segments, CHECKPOINT_FILES.latest], what);
    if (typeof pointer.dir !== 'string' || !CHECKPOINT_DIR_PATTERN.test(pointer.dir)) throw new HttpError(422, `${[...segments, CHECKPOINT_FILES.latest].join('/')} has no valid "dir"`);
    return [...segments, pointer.dir];
  };
  if (which === 'best') return { segments: await pointed([RUN_FILES.best, AGENT_FILES.state], 'best agent'), fromBest: true };
  if (which === 'latest') return { segments: await pointed([RUN_FILES.checkpoints], 'checkpoint'), fromBest: false };
  if (!/^\d{1,9}$/.test(which)) throw new HttpError(400, `agent "${which}": ask for best, latest or a checkpoint step number`);
  return { segments: [RUN_FILES.checkpoints, stepDirName('step', Number(which))], fromBest: false };
}

/** A checkpoint that passed its manifest check: its state.json and the sha256 of each file, by name. */
interface VerifiedCheckpoint {
  /** What the directory looked like when it was verified (see `directoryFingerprint`). */
  fingerprint: string;
  state: Record<string, unknown>;
  sha256s: Map<string, string>;
}

/**
 * Verified checkpoints by real directory path. A checkpoint is hashed once, not on every blob request; an
 * entry holds while no file in the directory changes name, inode, size or modification time.
 */
const verifiedCheckpoints = new Map<string, VerifiedCheckpoint>();

/** Name, inode, size and mtime of every entry of `dir` (symlinks not followed): cheap, and changed by any rewrite. */
async function directoryFingerprint(dir: string): Promise<string> {
  const names = (await readdir(dir)).sort();
  const parts: string[] = [];
  for (const name of names) {
    const st = await lstat(join(dir, name));
    parts.push(`${name}:${st.ino}:${st.size}:${st.mtimeMs}`);
  }
  return parts.join('/');
}

/** The checkpoint at `segments` below the run, checked against its manifest (a damaged one is a 422 naming the file). */
async function verifiedCheckpoint(runDir: string, segments: string[]): Promise<VerifiedCheckpoint & { dir: string }> {
  const dir = await resolveInside(runDir, segments, 'checkpoint');
  const before = await directoryFingerprint(dir).catch(() => null);
  const cached = verifiedCheckpoints.get(dir);
  if (cached && cached.fingerprint === before) return { ...cached, dir };
  let files: Map<string, Buffer>;
  try {
    files = readVerifiedCheckpointFiles(dir);
  } catch (e) {
    throw new HttpError(422, `${segments.join('/')}: ${(e as Error).message}`);
  }
  let sha256s: Map<string, string>;
  try {
    const manifest = JSON.parse((await readFileInside(dir, [CHECKPOINT_FILES.manifest], { maxBytes: MAX_JSON_FILE_BYTES, limitName: 'MAX_JSON_FILE_BYTES' })).toString('utf8')) as CheckpointManifest;
    sha256s = new Map(manifest.files.map((f) => [f.name, f.sha256]));
  } catch {
    throw new HttpError(422, `${segments.join('/')}: ${CHECKPOINT_FILES.manifest} changed while it was being read; ask again`);
  }
  const verified: VerifiedCheckpoint = {
    fingerprint: before ?? '',
    state: checkpointState(files, segments),
    sha256s,
  };
  // Remembered only when nothing changed while it was being read (else the next request verifies again).
  if (before !== null && (await directoryFingerprint(dir).catch(() => null)) === before) {
    verifiedCheckpoints.delete(dir);
    verifiedCheckpoints.set(dir, verified);
    if (verifiedCheckpoints.size > VERIFIED_CHECKPOINT_CACHE_ENTRIES) verifiedCheckpoints.delete(verifiedCheckpoints.keys().next().value!);
  }
  return { ...verified, dir };
}

function checkpointState(files: Map<string, Buffer>, segments: string[]): Record<string, unknown> {
  const bytes = files.get(CHECKPOINT_FILES.state);
  if (!bytes) throw new HttpError(422, `${segments.join('/')}: ${CHECKPOINT_FILES.state} is not in the manifest`);
  try {
    return JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new HttpError(422, `${segments.join('/')}/${CHECKPOINT_FILES.state} is not valid JSON (${(e as Error).message})`);
  }
}

/** What the page needs to rebuild an agent: its name, spaces, hyperparameters, seed, JSON state and blob names. */
export async function readAgentSource(runsDir: string, run: string, which: string): Promise<AgentSource> {
  const runDir = await resolveInside(runsDir, [run], 'run');
  const config = await readJson(runDir, [RUN_FILES.config], 'run config');
  const { segments, fromBest } = await stateDir(runDir, which);
  const { state } = await verifiedCheckpoint(runDir, segments);
  const blobs = Array.isArray(state.blobs) ? state.blobs.filter((b): b is string => typeof b === 'string') : [];
  let agentJson: unknown;
  let step: number | null;
  let header: Record<string, unknown>;
  if (fromBest) {
    header = await readJson(runDir, [RUN_FILES.best, AGENT_FILES.agent], 'best agent');
    agentJson = (state.json as Record<string, unknown> | undefined) ?? null;
    const summary = await readJson(runDir, [RUN_FILES.summary], 'run summary').catch(() => null);
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

/** The bytes of one blob of that agent state (weights, optimiser moments, buffers), checked against the manifest. */
export async function readAgentBlob(runsDir: string, run: string, which: string, blob: string): Promise<Buffer> {
  const runDir = await resolveInside(runsDir, [run], 'run');
  const { segments } = await stateDir(runDir, which);
  const { state, sha256s, dir } = await verifiedCheckpoint(runDir, segments);
  const name = blobFileName(blob);
  const expected = Array.isArray(state.blobs) && state.blobs.includes(blob) ? sha256s.get(name) : undefined;
  if (expected === undefined) throw new HttpError(404, `${run}: the ${which} agent has no blob "${blob}"`);
  // Only the file served is read and hashed again: what is sent is what the manifest lists.
  const bytes = await readFileInside(dir, [name], { what: 'blob', displayName: `${segments.join('/')}/${name}` });
  if (sha256(bytes) !== expected) throw new HttpError(422, `${segments.join('/')}: checkpoint file ${name} changed after it was verified; ask again`);
  return bytes;
}
