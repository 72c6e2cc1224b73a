/**
 * tsgym's public API: `import { make, makeVec, checkEnv, train, initBackend } from 'tsgym'`.
 */
// Environments: the API, spaces, seeding, registry (make/makeVec), wrappers, vector envs, the checker, the envs.
export * from './envs/index.js';
// Agents: backend choice, the shared agent surface, the agent registry, exact planning for gridworlds.
export { initBackend, BACKENDS, type BackendChoice } from './agents/backend.js';
export type { Agent, AgentInfo, ActOptions, ActResult, TransitionBatch, UpdateMetrics, AgentState } from './agents/agent.js';
export { createAgent, agentNames, agentRegistration, agentRegistrations, registerAgent, resolveHyperparams, type AgentRegistration } from './agents/registry.js';
export { validateHyperparams, formatHyperparams, defaultsOf, withDefaults, num, int, bool, choice, intList, type HyperparamSchema, type ParamSpec, type HyperparamContext } from './agents/hyperparams.js';
export * from './agents/planning.js';
// Training and using agents outside the CLI.
export { train, resume, DivergenceError, type TrainOptions, type ResumeOptions, type ResumeFlags, type TrainResult } from './experiments/harness/trainer.js';
// What every folder shares: the error type, the seeded RNG, running statistics, seeds (the valid range and the
// hashed per-stream seeds every run uses).
export { TsgymError } from './core/errors.js';
export { Rng, deriveSeed, type RngState } from './core/rng.js';
export { RunningMeanStd, type RunningMeanStdState } from './core/running-mean-std.js';
export { MAX_SEED, validateSeed, streamSeed, streamSeeds, STREAMS } from './core/seeds.js';
// The run directory: file names, types, readers and writers.
export {
  RUN_FILES,
  CHECKPOINT_FILES,
  readRunConfig,
  readRunSummary,
  parseMetrics,
  DamagedCheckpointError,
  type RunConfig,
  type RunSummary,
  type RunStatus,
  type MetricRecord,
  type CheckpointManifest,
  type RunLock,
} from './experiments/run-format.js';
export { RunLockedError } from './experiments/harness/run-lock.js';
export { evaluate, type EvaluateOptions, type EvalResult } from './experiments/harness/evaluate.js';
export { saveAgent, loadAgent, loadAgentFromRun } from './experiments/harness/agent-io.js';
export { presetFor, PRESETS, type RunPreset } from './experiments/presets.js';
export { exportPolicy, EXPORT_FORMATS, EXPORT_FILES, type ExportFormat, type ExportOptions, type ExportResult, type PolicyFile } from './experiments/export/export-policy.js';
// Replay files.
export { replayFromEpisode, parseReplay, validateReplay, ReplayFormatError, REPLAY_FORMAT, REPLAY_VERSION, type ReplayFile, type ReplayStep } from './render/replay-format.js';
export { readReplayFile, writeReplayFile } from './render/replay-io.js';
