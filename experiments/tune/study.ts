/**
 * A tuning study on disk, resumable after a kill at any point:
 *
 * ```
 * <out>/
 *   trials.jsonl   line 1: the study header (StudyHeader: agent, env, space, sampler, seeds, objective, …);
 *                  then one TrialLine per change of a trial's state, appended as it happens: `running` when
 *                  the trial is handed out, then `complete` | `pruned` | `failed`. A trial's last line is its
 *                  state.
 *   best.json      the best complete trial as a preset file for `train --preset` (BestPreset)
 * ```
 *
 * Each line goes out in one write followed by fsync, so a kill leaves at most one torn line, at the end;
 * opening the study drops it. On reopening (the same command again):
 * - complete, pruned and failed trials are kept as they are (never run again);
 * - a trial whose last line is `running` was cut off: `next()` hands it out again, same trial number, same
 *   parameters and seeds, to be run again (its runs may pick up from their own checkpoints; the study keeps
 *   no partial scores, and its intermediate values are reported afresh);
 * - new trials come from the sampler, rebuilt from the file's history. Trial i's draws depend only on the
 *   sampler seed and what was known when it was asked, so a study killed and resumed proposes the same
 *   trials as one that ran straight through.
 * The header must match the command's settings: a study cannot be continued with another space, sampler,
 * seed or budget.
 *
 * Seeds: every trial runs on the same `seedsPerTrial` seeds (common random numbers: configs are compared on
 * equal luck); `freshSeeds` gives seeds disjoint from them for re-evaluating the winners.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsgymError } from '../../core/errors.js';
import { streamSeeds } from '../../core/seeds.js';
import type { RunPreset } from '../presets.js';
import { io, writeAll, writeJsonAtomic } from '../harness/atomic.js';
import { createPruner, type PrunerOptions, type Pruner, type PrunerKind } from './pruner.js';
import { createSampler, type Sampler, type SamplerKind, type SamplerTrial, type TpeOptions, type TrialState } from './sampler.js';
import { checkParams, validateSpace, type Params, type SearchSpace } from './space.js';
import { OBJECTIVE_KINDS, trialValue, type ObjectiveKind } from './objective.js';

export const STUDY_FILES = { trials: 'trials.jsonl', best: 'best.json' } as const;
/** The rest of a `tune --out` directory (run-study.ts): the trials' comparison directories, the re-evaluation, the report. */
export const TUNE_FILES = { trials: 'trials', reevaluation: 'reevaluation', report: 'report.json', reportMd: 'report.md' } as const;

/** The trial's directory name below `trials/` (sorts in trial order). */
export const trialDirName = (trial: number) => `trial-${String(trial).padStart(4, '0')}`;
export const STUDY_FORMAT = 'tsgym-study';
export const STUDY_VERSION = 1;

/** Everything that decides a study's trials: a resumed study must be opened with the same settings. */
export interface StudySettings {
  agent: string;
  env: string;
  space: SearchSpace;
  sampler: SamplerKind;
  /** The study seed: the sampler's seed and the source of the trials' run seeds. */
  seed: number;
  /** Seeded runs per trial. */
  seedsPerTrial: number;
  objective: ObjectiveKind;
  pruner: PrunerKind;
  tpe?: TpeOptions;
  prunerOptions?: PrunerOptions;
  /** Hyperparameters set for every trial besides the tuned ones (e.g. from --set). */
  fixedHyperparams?: Record<string, unknown>;
  /** The run settings every trial uses (steps, envs, eval cadence, env kwargs, …): part of the preset written. */
  budget?: Partial<Omit<RunPreset, 'hyperparams'>>;
}

/** Line 1 of trials.jsonl. */
export interface StudyHeader extends StudySettings {
  kind: 'study';
  format: typeof STUDY_FORMAT;
  version: typeof STUDY_VERSION;
  createdAt: string;
}

/** A trial line of trials.jsonl (the last one per trial number is the trial's state). */
export interface TrialLine {
  kind: 'trial';
  trial: number;
  state: TrialState;
  params: Params;
  /** The run seeds of this trial, one run per seed. */
  seeds: number[];
  /** Complete: each seed's score, in seed order. */
  scores?: number[];
  /** Complete: the objective, IQM over the seeds' scores. */
  value?: number;
  /** Complete and pruned: the intermediate values reported, as [step, value]. */
  intermediate?: [number, number][];
  /** Pruned: the step it was stopped at. */
  prunedAt?: number;
  /** Failed: why. */
  message?: string;
}

/** `best.json`: a preset file (`train --preset FILE`) with where it came from. */
export interface BestPreset extends Partial<Omit<RunPreset, 'hyperparams'>> {
  agent: string;
  env: string;
  hyperparams: Record<string, unknown>;
  provenance: {
    tool: 'tsgym tune';
    study: string;
    trial: number;
    objective: ObjectiveKind;
    /** The trial's objective value in the study. */
    value: number;
    seeds: number[];
    scores: number[];
    createdAt: string;
    /** Whatever the caller adds (e.g. the fresh-seed re-evaluation). */
    [key: string]: unknown;
  };
}

const SETTING_KEYS: (keyof StudySettings)[] = ['agent', 'env', 'space', 'sampler', 'seed', 'seedsPerTrial', 'objective', 'pruner', 'tpe', 'prunerOptions', 'fixedHyperparams', 'budget'];

/** The seeds every trial of a study with seed `studySeed` runs on. */
export function trialSeeds(studySeed: number, count: number): number[] {
  return streamSeeds(studySeed, 'tune-trial', count);
}

/** `count` seeds for re-evaluation, none of them a trial seed of the study. */
export function freshSeeds(studySeed: number, count: number, seedsPerTrial: number): number[] {
  const used = new Set(trialSeeds(studySeed, seedsPerTrial));
  const out: number[] = [];
  for (const s of streamSeeds(studySeed, 'tune-fresh', count + used.size)) if (!used.has(s) && out.length < count) out.push(s);
  return out;
}

/** A study's file read back without changing it (for reports and the viewer): the header and each trial's latest line. */
export function readStudy(dir: string): { header: StudyHeader; trials: TrialLine[] } {
  const file = path.join(dir, STUDY_FILES.trials);
  const text = io(file, 'read', () => fs.readFileSync(file, 'utf8'));
  return parseTrialsFile(text, file).study;
}

/** Parses trials.jsonl's text (`file` names it in errors); a torn last line is left out (`goodLength` ends before it). */
export function parseTrialsFile(text: string, file: string): { study: { header: StudyHeader; trials: TrialLine[] }; goodLength: number } {
  // Everything after the last newline is a torn write (or nothing).
  const goodLength = text.lastIndexOf('\n') + 1;
  const lines = text.slice(0, goodLength).split('\n').slice(0, -1);
  if (lines.length === 0) throw new TsgymError(`${file} has no study header; it is not a tsgym study (delete it or choose another --out)`);
  const parse = (line: string, i: number): Record<string, unknown> => {
    try {
      const v = JSON.parse(line) as unknown;
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // reported below
    }
    throw new TsgymError(`${file} line ${i + 1} is damaged (not a JSON object); the study cannot be resumed from it`);
  };
  const header = parse(lines[0], 0);
  if (header.kind !== 'study' || header.format !== STUDY_FORMAT) throw new TsgymError(`${file} does not start with a tsgym study header; it is not a tsgym study`);
  if (header.version !== STUDY_VERSION) throw new TsgymError(`${file} is study format version ${String(header.version)}; this tsgym reads version ${STUDY_VERSION}`);
  const latest = new Map<number, TrialLine>();
  lines.slice(1).forEach((line, i) => {
    const rec = parse(line, i + 1);
    if (rec.kind !== 'trial' || !Number.isInteger(rec.trial) || typeof rec.state !== 'string') throw new TsgymError(`${file} line ${i + 2} is not a trial line`);
    latest.set(rec.trial as number, rec as unknown as TrialLine);
  });
  const trials = [...latest.values()].sort((a, b) => a.trial - b.trial);
  trials.forEach((t, i) => {
    if (t.trial !== i) throw new TsgymError(`${file}: trial ${i} is missing (found trial ${t.trial}); the file was edited or damaged`);
  });
  return { study: { header: header as unknown as StudyHeader, trials }, goodLength };
}

/** JSON with every object's keys sorted, so settings compare by content, not by the order they were built in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** Whether two values of a setting are the same; a space's key order counts too (it is the sampling order). */
function sameSetting(key: keyof StudySettings, a: unknown, b: unknown): boolean {
  if (key === 'space' && JSON.stringify(Object.keys(a ?? {})) !== JSON.stringify(Object.keys(b ?? {}))) return false;
  return canonicalJson(a) === canonicalJson(b);
}

export class Study {
  private readonly file: string;
  private readonly lines: TrialLine[];
  private readonly sampler: Sampler;
  private readonly pruner: Pruner;
  /** Trials cut off by a kill, to hand out again before asking for new ones. */
  private readonly rerun: number[];

  private constructor(
    readonly dir: string,
    readonly header: StudyHeader,
    lines: TrialLine[],
  ) {
    this.file = path.join(dir, STUDY_FILES.trials);
    this.lines = lines;
    const history: SamplerTrial[] = lines.map((t) => ({
      id: t.trial,
      params: t.params,
      state: t.state,
      ...(t.value !== undefined ? { value: t.value } : {}),
      ...(t.state === 'pruned' && t.intermediate?.length ? { last: lastIntermediate(t.intermediate) } : {}),
    }));
    this.sampler = createSampler(header.sampler, header.space, { seed: header.seed, ...header.tpe, history });
    this.pruner = createPruner(header.pruner, header.prunerOptions);
    for (const t of lines) {
      if (t.state === 'running') continue;
      for (const [step, value] of t.intermediate ?? []) this.pruner.report(t.trial, step, value);
      this.pruner.finish(t.trial, t.state);
    }
    this.rerun = lines.filter((t) => t.state === 'running').map((t) => t.trial);
  }

  /**
   * Opens the study in `dir`, creating it when there is no trials.jsonl, resuming it otherwise (a torn last
   * line is cut off). Throws, writing nothing, on invalid settings or when the file was started with others.
   */
  static open(dir: string, settings: StudySettings): Study {
    checkSettings(settings);
    const file = path.join(dir, STUDY_FILES.trials);
    // No file, or one whose header line never got out whole (killed while creating): a new study.
    if (!fs.existsSync(file) || !io(file, 'read', () => fs.readFileSync(file, 'utf8')).includes('\n')) {
      io(file, 'remove', () => fs.rmSync(file, { force: true }));
      const header: StudyHeader = { kind: 'study', format: STUDY_FORMAT, version: STUDY_VERSION, createdAt: new Date().toISOString(), ...settings };
      io(dir, 'create', () => fs.mkdirSync(dir, { recursive: true }));
      const study = new Study(dir, header, []);
      study.append(header);
      return study;
    }
    const text = io(file, 'read', () => fs.readFileSync(file, 'utf8'));
    const { study, goodLength } = parseTrialsFile(text, file);
    const changed = SETTING_KEYS.filter((k) => !sameSetting(k, study.header[k], settings[k]));
    if (changed.length) {
      const k = changed[0];
      throw new TsgymError(`the study in ${dir} was started with other settings (${changed.join(', ')}; ${k} was ${JSON.stringify(study.header[k]) ?? 'unset'}, now ${JSON.stringify(settings[k]) ?? 'unset'})`, {
        hint: 'rerun with the settings it was started with, or give a new --out directory',
      });
    }
    for (const t of study.trials) checkParams(study.header.space, t.params, `${file} trial ${t.trial}`);
    if (goodLength < Buffer.byteLength(text)) io(file, 'truncate', () => fs.truncateSync(file, Buffer.byteLength(text.slice(0, goodLength))));
    return new Study(dir, study.header, study.trials);
  }

  /** Every trial's latest state, in trial order (copies). */
  trials(): TrialLine[] {
    return this.lines.map((t) => structuredClone(t));
  }

  /** The seeds every trial runs on. */
  get seeds(): number[] {
    return trialSeeds(this.header.seed, this.header.seedsPerTrial);
  }

  /**
   * The next trial to run: a trial cut off by a kill first (same number, parameters and seeds), else a new
   * one from the sampler. Its state is `running` (written) until completed, pruned or failed.
   */
  next(): TrialLine & { rerun: boolean } {
    const again = this.rerun.shift();
    if (again !== undefined) return { ...structuredClone(this.lines[again]), rerun: true };
    const { id, params } = this.sampler.ask();
    const line: TrialLine = { kind: 'trial', trial: id, state: 'running', params, seeds: this.seeds };
    this.record(line);
    return { ...structuredClone(line), rerun: false };
  }

  /** The hyperparameters a trial runs with: the fixed ones with the trial's parameters over them. */
  hyperparams(trial: number): Record<string, unknown> {
    const t = this.lines[trial];
    if (!t) throw new TsgymError(`study: there is no trial ${trial}`);
    return { ...this.header.fixedHyperparams, ...t.params };
  }

  /** Records an intermediate value of a running trial; returns whether the pruner says to stop it now. */
  report(trial: number, step: number, value: number): boolean {
    this.running(trial, 'report');
    this.pruner.report(trial, step, value);
    // At the end of the budget the runs have finished: pruning there would save nothing and only lose a result.
    const total = this.header.budget?.totalSteps;
    if (total !== undefined && step >= total) return false;
    return this.pruner.shouldPrune(trial);
  }

  /** Trial `trial` finished on every seed: its value is the IQM of `scores` (one per seed, in seed order). */
  complete(trial: number, scores: readonly number[]): TrialLine {
    const t = this.running(trial, 'complete');
    if (scores.length !== t.seeds.length) throw new TsgymError(`study: trial ${trial} runs ${t.seeds.length} seeds but ${scores.length} scores were given`);
    const value = trialValue(scores);
    this.sampler.tell(trial, value);
    this.pruner.finish(trial, 'complete');
    return this.record({ ...t, state: 'complete', scores: [...scores], value, intermediate: this.pruner.intermediate(trial) });
  }

  /** Trial `trial` was stopped by the pruner at its latest reported step. */
  prune(trial: number): TrialLine {
    const t = this.running(trial, 'prune');
    const intermediate = this.pruner.intermediate(trial);
    const last = intermediate.length ? lastIntermediate(intermediate) : undefined;
    this.sampler.tell(trial, 'pruned', last);
    this.pruner.finish(trial, 'pruned');
    return this.record({ ...t, state: 'pruned', intermediate, ...(last ? { prunedAt: last.step } : {}) });
  }

  /** Trial `trial` could not be scored (a run failed or diverged; a config the agent refused). */
  fail(trial: number, message: string): TrialLine {
    const t = this.running(trial, 'fail');
    this.sampler.tell(trial, 'failed');
    this.pruner.finish(trial, 'failed');
    return this.record({ ...t, state: 'failed', message });
  }

  /** The complete trial with the highest value (the earliest on a tie); undefined before any completes. */
  best(): TrialLine | undefined {
    let best: TrialLine | undefined;
    for (const t of this.lines) if (t.state === 'complete' && (best === undefined || t.value! > best.value!)) best = t;
    return best ? structuredClone(best) : undefined;
  }

  /**
   * Writes best.json (atomically) for trial `trial` (default: the best), as a preset `train --preset` reads;
   * `provenance` adds to the recorded provenance (e.g. the fresh-seed re-evaluation).
   */
  writeBest(trial?: number, provenance: Record<string, unknown> = {}): BestPreset {
    const t = trial === undefined ? this.best() : this.lines[trial];
    if (!t || t.state !== 'complete') throw new TsgymError(trial === undefined ? 'study: no trial has completed yet, so there is no best config' : `study: trial ${trial} is not complete`);
    const preset: BestPreset = {
      agent: this.header.agent,
      env: this.header.env,
      ...this.header.budget,
      hyperparams: { ...this.header.fixedHyperparams, ...t.params },
      provenance: {
        tool: 'tsgym tune',
        study: path.resolve(this.dir),
        trial: t.trial,
        objective: this.header.objective,
        value: t.value!,
        seeds: t.seeds,
        scores: t.scores!,
        createdAt: new Date().toISOString(),
        ...provenance,
      },
    };
    writeJsonAtomic(path.join(this.dir, STUDY_FILES.best), preset);
    return preset;
  }

  private running(trial: number, action: string): TrialLine {
    const t = this.lines[trial];
    if (!t) throw new TsgymError(`study: cannot ${action} trial ${trial}: there is no such trial`);
    if (t.state !== 'running' || this.rerun.includes(trial)) throw new TsgymError(`study: cannot ${action} trial ${trial}: it is ${this.rerun.includes(trial) ? 'waiting to be run again (take it with next())' : t.state}`);
    return t;
  }

  private record(line: TrialLine): TrialLine {
    this.append(line);
    this.lines[line.trial] = line;
    return structuredClone(line);
  }

  /** One line, one write, then fsync: a kill leaves the file ending in at most one torn line. */
  private append(value: StudyHeader | TrialLine): void {
    const bytes = Buffer.from(JSON.stringify(value) + '\n', 'utf8');
    io(this.file, 'append to', () => {
      const fd = fs.openSync(this.file, 'a');
      try {
        writeAll(fd, bytes, this.file);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    });
  }
}

function lastIntermediate(pairs: readonly [number, number][]): { step: number; value: number } {
  let [step, value] = pairs[0];
  for (const [s, v] of pairs) if (s >= step) [step, value] = [s, v];
  return { step, value };
}

function checkSettings(s: StudySettings): void {
  if (typeof s.agent !== 'string' || s.agent === '') throw new TsgymError('study: agent must be a non-empty string');
  if (typeof s.env !== 'string' || s.env === '') throw new TsgymError('study: env must be a non-empty string');
  validateSpace(s.space);
  if (!Number.isSafeInteger(s.seed) || s.seed < 0) throw new TsgymError(`study: seed must be a non-negative integer, got ${s.seed}`);
  if (!OBJECTIVE_KINDS.includes(s.objective)) throw new TsgymError(`study: unknown objective '${String(s.objective)}'; use ${OBJECTIVE_KINDS.join(', ')}`);
  if (!Number.isInteger(s.seedsPerTrial) || s.seedsPerTrial < 1) throw new TsgymError(`study: seeds per trial must be a positive integer, got ${s.seedsPerTrial}`);
  // Building them checks the sampler, pruner and their options, so nothing is written for a bad setting.
  createSampler(s.sampler, s.space, { seed: s.seed, ...s.tpe });
  createPruner(s.pruner, s.prunerOptions);
}
