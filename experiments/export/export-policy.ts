/**
 * `exportPolicy(runDir, {format, outDir, checkpoint})`: a run's greedy policy as a file any runtime can use
 * without tsgym: an ONNX model (`policy.onnx`) or a TensorFlow.js graph model (`model.json` + `weights.bin`),
 * each beside a `policy.json` that describes the inputs, the outputs, the spaces and where the policy came
 * from (run, checkpoint step, sha256 of every model file).
 *
 * The model maps a batch of raw observations (float32 [batch, obsSize]) to
 * - `action`: what `agent.act(obs, n, {greedy: true})` returns (int32 [batch] for Discrete, float32
 *   [batch, k] inside the box for Box), with observation normalisation and scaling baked in;
 * - `raw`: the network values the action is computed from (Q-values, logits, Gaussian or pre-tanh means).
 *
 * Everything is checked and built in memory first; the files are written to a fresh directory beside the
 * destination and renamed into place, so a refused or failed export leaves nothing behind.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsgymError } from '../../core/errors.js';
import type { SpaceJSON } from '../../envs/spaces.js';
import { asIoError, writeFileAtomic } from '../harness/atomic.js';
import { loadAgentFromRun, type CheckpointChoice } from '../harness/agent-io.js';
import { loadRecordedEnvModules, type EnvModuleRef } from '../env-modules.js';
import { packageInfo } from '../package-info.js';
import { isRunDir, readRunConfig } from '../run-files.js';
import { type RunConfig } from '../../formats/run-format.js';
import { ONNX_OPSET, toOnnx } from './onnx.js';
import { checkGraphReproduces, policyGraph, type Preprocessing, type RawMeaning } from './policy-graph.js';
import { TFJS_WEIGHTS_FILE, toTfjsGraphModel } from './tfjs-graph.js';

export const EXPORT_FORMATS = ['onnx', 'tfjs'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The files an export writes, by format (policy.json in both). */
export const EXPORT_FILES = { policy: 'policy.json', onnx: 'policy.onnx', tfjsModel: 'model.json', tfjsWeights: TFJS_WEIGHTS_FILE } as const;

export interface ExportOptions {
  format: ExportFormat;
  /** Destination directory: created if missing; an existing one must be empty. */
  outDir: string;
  /** Which agent of the run (default 'latest'). */
  checkpoint?: CheckpointChoice;
}

/** `policy.json`. */
export interface PolicyFile {
  format: 'tsgym-policy';
  version: 1;
  model: { format: 'onnx'; opset: number; file: string } | { format: 'tfjs-graph-model'; file: string; weights: string[] };
  /** sha256 (hex) of every model file, by name. */
  sha256: Record<string, string>;
  inputs: { name: 'obs'; dtype: 'float32'; shape: ['batch', number]; space: SpaceJSON }[];
  outputs: [
    { name: 'action'; dtype: 'int32' | 'float32'; shape: ['batch'] | ['batch', number]; space: SpaceJSON; description: string },
    { name: 'raw'; dtype: 'float32'; shape: ['batch', number]; meaning: RawMeaning; description: string },
  ];
  /** What the model does to an observation before its network (already part of the model). */
  preprocessing: Preprocessing;
  /** The run, the checkpoint's env step, and the tsgym versions that trained and exported it. */
  provenance: { run: string; agent: string; envId: string; envKwargs: Record<string, unknown>; seed: number; checkpoint: CheckpointChoice; step: number; trainedWith: string; exportedWith: string };
}

export interface ExportResult {
  outDir: string;
  /** The files written, in `outDir`. */
  files: string[];
  policy: PolicyFile;
}

const ACTION_DESCRIPTION = {
  int32: 'the greedy action: argmax of the raw values (plus the Discrete space start)',
  gaussian: 'the greedy action: the Gaussian mean clipped into the action box',
  squashed: 'the greedy action: bias + scale · tanh(raw), inside the action box',
} as const;

const RAW_DESCRIPTION: Record<RawMeaning, string> = {
  'q-values': 'Q-values, one per action',
  logits: 'policy logits, one per action',
  'gaussian-mean': 'the mean of the Gaussian policy, before clipping',
  'pre-tanh-mean': 'the deterministic action before the tanh squashing and box scaling',
};

/**
 * Exports a run's greedy policy (see the file comment). The tf backend must be initialised (`initBackend`).
 * A run on a user env loads the env modules its config.json records first.
 * Bad input (no run directory, no such checkpoint, an unknown format, an unusable destination) throws a
 * one-line {@link TsgymError} before anything is written.
 */
export async function exportPolicy(runDir: string, opts: ExportOptions): Promise<ExportResult> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format)) throw new TsgymError(`unknown export format '${opts.format}'; choose one of ${EXPORT_FORMATS.join(', ')}`);
  if (!fs.existsSync(runDir)) throw new TsgymError(`${runDir}: no such run directory`);
  if (!isRunDir(runDir)) throw new TsgymError(`${runDir}: not a run directory (no config.json)`);
  const outDir = path.resolve(opts.outDir);
  checkDestination(outDir);
  const checkpoint = opts.checkpoint ?? 'latest';
  // A run on a user's env: the env modules it recorded register that env (unchanged since the run started).
  const recorded = (readRunConfig(runDir) as RunConfig & { envModules?: Pick<EnvModuleRef, 'path' | 'sha256'>[] }).envModules;
  if (recorded?.length) await loadRecordedEnvModules(recorded);

  const { agent, config, step } = loadAgentFromRun(runDir, checkpoint);
  let built: ReturnType<typeof policyGraph>;
  try {
    built = policyGraph(agent);
    checkGraphReproduces(agent, built.graph);
  } finally {
    agent.dispose();
  }
  const { graph, preprocessing } = built;
  const version = packageInfo().version;
  const provenance: PolicyFile['provenance'] = {
    run: path.basename(path.resolve(runDir)),
    agent: config.agent,
    envId: config.envId,
    envKwargs: config.envKwargs ?? {},
    seed: config.seed,
    checkpoint,
    step,
    trainedWith: config.tsgymVersion,
    exportedWith: version,
  };

  const files = new Map<string, Uint8Array>();
  let model: PolicyFile['model'];
  if (opts.format === 'onnx') {
    const metadata = { 'tsgym.run': provenance.run, 'tsgym.agent': provenance.agent, 'tsgym.env': provenance.envId, 'tsgym.step': String(step) };
    files.set(EXPORT_FILES.onnx, toOnnx(graph, { producerVersion: version, docString: `Greedy policy of ${config.agent} on ${config.envId} (run ${provenance.run}, step ${step}): obs → action, raw`, metadata }));
    model = { format: 'onnx', opset: ONNX_OPSET, file: EXPORT_FILES.onnx };
  } else {
    const { modelJson, weights } = toTfjsGraphModel(graph, `tsgym ${version}`);
    files.set(EXPORT_FILES.tfjsModel, Buffer.from(JSON.stringify(modelJson) + '\n', 'utf8'));
    files.set(EXPORT_FILES.tfjsWeights, weights);
    model = { format: 'tfjs-graph-model', file: EXPORT_FILES.tfjsModel, weights: [EXPORT_FILES.tfjsWeights] };
  }

  const { action, raw } = graph.outputs;
  const actionDescription = action.dtype === 'int32' ? ACTION_DESCRIPTION.int32 : raw.meaning === 'gaussian-mean' ? ACTION_DESCRIPTION.gaussian : ACTION_DESCRIPTION.squashed;
  const policy: PolicyFile = {
    format: 'tsgym-policy',
    version: 1,
    model,
    sha256: Object.fromEntries([...files].map(([name, bytes]) => [name, crypto.createHash('sha256').update(bytes).digest('hex')])),
    inputs: [{ name: 'obs', dtype: 'float32', shape: ['batch', graph.input.size], space: agent.info.observationSpace.toJSON() }],
    outputs: [
      { name: 'action', dtype: action.dtype, shape: action.dtype === 'int32' ? ['batch'] : ['batch', action.size], space: agent.info.actionSpace.toJSON(), description: actionDescription },
      { name: 'raw', dtype: 'float32', shape: ['batch', raw.size], meaning: raw.meaning, description: RAW_DESCRIPTION[raw.meaning] },
    ],
    preprocessing,
    provenance,
  };
  files.set(EXPORT_FILES.policy, Buffer.from(JSON.stringify(policy, null, 2) + '\n', 'utf8'));

  writeDirectory(outDir, files);
  return { outDir, files: [...files.keys()], policy };
}

/** The destination must be an empty directory, or a path that can be created; refuses before any write. */
function checkDestination(outDir: string): void {
  if (fs.existsSync(outDir)) {
    if (!fs.statSync(outDir).isDirectory()) throw new TsgymError(`--out ${outDir}: exists and is not a directory`);
    if (fs.readdirSync(outDir).length > 0) throw new TsgymError(`--out ${outDir}: the directory is not empty`, { hint: 'export into a new or empty directory' });
  }
  // The files are staged beside the destination: its nearest existing ancestor must be a writable directory.
  let dir = path.dirname(outDir);
  while (!fs.existsSync(dir)) dir = path.dirname(dir);
  if (!fs.statSync(dir).isDirectory()) throw new TsgymError(`--out ${outDir}: ${dir} is not a directory`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new TsgymError(`--out ${outDir}: ${dir} is not writable`);
  }
}

/** Writes `files` into a fresh sibling directory, then renames it to `outDir` (replacing an empty one). */
function writeDirectory(outDir: string, files: Map<string, Uint8Array>): void {
  const parent = path.dirname(outDir);
  const staging = path.join(parent, `.${path.basename(outDir)}.export-${process.pid}`);
  try {
    fs.mkdirSync(parent, { recursive: true });
    fs.rmSync(staging, { recursive: true, force: true }); // left by a killed export of the same pid
    fs.mkdirSync(staging);
  } catch (e) {
    throw asIoError(e, staging, 'create');
  }
  try {
    for (const [name, bytes] of files) writeFileAtomic(path.join(staging, name), bytes);
    if (fs.existsSync(outDir)) fs.rmdirSync(outDir); // empty (checked): rename cannot replace a directory everywhere
    fs.renameSync(staging, outDir);
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw asIoError(e, outDir, 'write');
  }
}
