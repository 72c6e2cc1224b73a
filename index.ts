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
export { readRunConfig, readRunSummary, DamagedCheckpointError } from './experiments/run-files.js';
export { RUN_FILES, CHECKPOINT_FILES, parseMetrics, type RunConfig, type RunSummary, type RunStatus, type MetricRecord, type CheckpointManifest, type RunLock } from './formats/run-format.js';
export { RunLockedError } from './experiments/harness/run-lock.js';
export { evaluate, type EvaluateOptions, type EvalResult } from './experiments/harness/evaluate.js';
export { saveAgent, loadAgent, loadAgentFromRun } from './experiments/harness/agent-io.js';
export { presetFor, PRESETS, type RunPreset } from './experiments/presets.js';
export { exportPolicy, EXPORT_FORMATS, EXPORT_FILES, type ExportFormat, type ExportOptions, type ExportResult, type PolicyFile } from './experiments/export/export-policy.js';
// Hyperparameter tuning: search spaces (and the `--space` flag form), ask-and-tell samplers (TPE, random), the median
// pruner, trial objectives from metrics, and the resumable study directory (trials.jsonl, best.json).
export {
  validateSpace,
  parseSpaceFlag,
  parseSpaceFlags,
  mergeSpaces,
  checkSpaceAgainstSchema,
  checkParams,
  type SearchSpace,
  type ParamDistribution,
  type FloatParam,
  type IntParam,
  type CategoricalParam,
  type Params,
} from './experiments/tune/space.js';
export { DEFAULT_SPACES, defaultSpaceFor } from './experiments/tune/default-spaces.js';
export { createSampler, SAMPLER_KINDS, type Sampler, type SamplerKind, type SamplerOptions, type SamplerTrial, type TpeOptions, type TrialState, type IntermediateValue } from './experiments/tune/sampler.js';
export { createPruner, MedianPruner, PercentilePruner, HalvingPruner, PRUNER_KINDS, type Pruner, type PrunerKind, type PrunerOptions, type MedianPrunerOptions } from './experiments/tune/pruner.js';
export { runScore, trialValue, trialValueFromMetrics, intermediateValue, evalRecords, OBJECTIVE_KINDS, type ObjectiveKind } from './experiments/tune/objective.js';
export { optimize, type OptimizeOptions, type TrialContext, type TrialOutcome } from './experiments/tune/optimize.js';
export { topTrials, selectWinner, type Reevaluation, type Finalist, type Selection } from './experiments/tune/select.js';
export { Study, readStudy, trialSeeds, freshSeeds, STUDY_FILES, type StudySettings, type StudyHeader, type TrialLine, type BestPreset } from './experiments/tune/study.js';
// Replay files.
export { replayFromEpisode, parseReplay, validateReplay, ReplayFormatError, REPLAY_FORMAT, REPLAY_VERSION, type ReplayFile, type ReplayStep } from './formats/replay-format.js';
export { readReplayFile, writeReplayFile } from './experiments/replay-io.js';
