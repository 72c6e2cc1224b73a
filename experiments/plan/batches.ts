/**
 * How the runs a plan still has to train are grouped into processes. A batch is runs of one group (one
 * configuration: an agent of a comparison, a sweep's configuration, a trial) on different seeds, trained one
 * after another in one process (`train --batch`); a seed's results do not depend on its batch, so this
 * decides only what the runs cost: a process's start-up is paid once per batch instead of once per run.
 */
import { TsgymError } from '../../core/errors.js';
import type { PlannedRun } from './request.js';

export interface BatchingOptions {
  /** Runs per process (`--seeds-per-process`); default: a group's runs split evenly so every slot gets work. */
  seedsPerProcess?: number;
  /** Processes that can run at once (local workers, or queue workers seen). */
  slots: number;
}

export function checkSeedsPerProcess(value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new TsgymError(`--seeds-per-process must be a positive integer, got ${value}`, { hint: '--seeds-per-process 1 trains each run in its own process' });
}

/**
 * The batches of `runs` (in plan order): each group's runs in chunks of `seedsPerProcess`; without it, each
 * group in as few chunks as leave no slot idle (16 seeds of one group on 2 slots: 2 processes of 8; 3 groups
 * on 2 slots: one process per group).
 */
export function batchesOf<T extends Pick<PlannedRun, 'group'>>(runs: readonly T[], o: BatchingOptions): T[][] {
  checkSeedsPerProcess(o.seedsPerProcess);
  const groups = new Map<string, T[]>();
  for (const r of runs) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  const chunksPerGroup = Math.max(1, Math.ceil(Math.max(1, o.slots) / Math.max(1, groups.size)));
  const batches: T[][] = [];
  for (const group of groups.values()) {
    const size = o.seedsPerProcess ?? Math.ceil(group.length / Math.min(chunksPerGroup, group.length));
    for (let i = 0; i < group.length; i += size) batches.push(group.slice(i, i + size));
  }
  return batches;
}
