/** Messages between the training page and its worker (types only). */
import type { MetricRecord, ValuesFile } from '../../../formats/api-types.js';
import type { ReplayFile } from '../../../formats/replay-format.js';
import type { EvalRecord, RunSummary } from '../../../formats/run-format.js';
import type { TabRunConfig, TabRunRequest } from './tab-trainer.js';

export type ToWorker = { type: 'start'; request: TabRunRequest } | { type: 'pause' } | { type: 'resume' } | { type: 'stop' } | { type: 'download' };

export interface WorkerEval {
  record: EvalRecord;
  /** The first recorded greedy episode of this evaluation: the current policy, drawn on the page. */
  replay: ReplayFile | null;
  values: ValuesFile | null;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'started'; config: TabRunConfig; runName: string }
  | { type: 'progress'; step: number; records: MetricRecord[]; evals: WorkerEval[]; numTensors: number; seconds: number; summary: RunSummary; done: boolean }
  | { type: 'archive'; name: string; bytes: Uint8Array }
  | { type: 'error'; message: string };
