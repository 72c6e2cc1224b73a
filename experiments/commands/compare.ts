/**
 * `compare`: trains several agents on one env over the same seeds, each (agent, seed) as its own process,
 * and reports the comparison with sound statistics (experiments/compare.ts, experiments/report.ts).
 * `--report-only DIR` recomputes the report of an existing comparison.
 */
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { batchExecutionFlags, batchFlags, batchOptionsFromArgs, checkQueueFlags, defaultBatchDir, seedsFromArgs, typedCommandWords, valueFlags, type BatchArgs } from './flags.js';
import { agentNames, agentRegistration } from '../../agents/registry.js';
import { envChoices, resolveEnvId } from '../../envs/registry.js';
import { TsgymError } from '../../core/errors.js';
import { runFlagOptions } from '../run-spec.js';
import { parseAssignments, positiveInt } from '../../formats/run-spec.js';
import { envIdInName } from '../../formats/run-format.js';
import { rejectRunKeys } from '../../agents/hyperparams.js';
import { reportFor, reportMarkdown, runComparison, type CompareOptions, type CompareResult } from '../compare.js';
import { COMPARISON_FILES } from '../../formats/comparison.js';
import { commandLine } from '../../core/command-line.js';

interface CompareArgs extends BatchArgs {
  agents?: string;
  'report-only'?: string;
  'allow-different-budgets'?: boolean;
}

/** `--set dqn.lr=0.0005 --set ppo.clip=0.1` → { dqn: { lr: 0.0005 }, ppo: { clip: 0.1 } }. */
export function parseAgentSets(pairs: string[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const pair of pairs) {
    const m = /^\s*([^.=\s]+)\.([^=]+=.*)$/s.exec(pair);
    if (!m) throw new TsgymError(`--set expects agent.key=value in a comparison, got '${pair}' (e.g. --set dqn.lr=0.0005)`);
    const reg = agentRegistration(m[1]);
    const agent = reg.name;
    const set = parseAssignments([m[2]], `--set ${agent}.`);
    rejectRunKeys(agent, reg.hyperparams, set, `--set ${agent}.`);
    out[agent] = { ...(out[agent] ?? {}), ...set };
  }
  return out;
}

export function compareOptionsFromArgs(a: CompareArgs, now = new Date()): CompareOptions {
  if (!a.env) throw new TsgymError(`name an env with --env (${envChoices().join(', ')}), e.g. --env cartpole`);
  if (!a.agents) throw new TsgymError(`name the agents with --agents (${agentNames().join(', ')}), e.g. --agents dqn,ppo,a2c`);
  const env = resolveEnvId(a.env);
  const agents = a.agents.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!agents.length) throw new TsgymError(`--agents is empty; name at least one agent (${agentNames().join(', ')})`);
  for (const agent of agents) agentRegistration(agent);
  const seeds = seedsFromArgs(a);
  positiveInt('--workers', a.workers);
  positiveInt('--bootstrap-reps', a['bootstrap-reps']);
  checkQueueFlags(a);
  return {
    env,
    agents,
    seeds,
    ...batchOptionsFromArgs(a, 'compare'),
    allowDifferentBudgets: a['allow-different-budgets'],
    sets: parseAgentSets(a.set),
    outDir: a.out ?? defaultBatchDir(['compare', envIdInName(env)], now),
  };
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare',
  describe: 'Compare agents on one env over several seeds (one process per run, K at a time) and report IQM/mean/median with bootstrap CIs',
  builder: (y: Argv) => {
    const shared = batchFlags();
    return y
      .options(valueFlags({
        env: shared.env,
        agents: { type: 'string', describe: `Comma-separated agents (${agentNames().join(', ')})` },
        seeds: { type: 'number', describe: 'Number of seeds: runs seeds 0..N-1 for every agent (default 5)' },
        'seed-list': { type: 'string', describe: 'Explicit comma-separated seeds instead of --seeds, e.g. 3,7' },
        ...runFlagOptions('compare'),
        'allow-different-budgets': { type: 'boolean', describe: "Without --steps: train each agent for its own preset budget instead of one shared budget" },
        ...batchExecutionFlags(),
        queue: { type: 'string', describe: `Run on a BullMQ queue at this Redis (redis://HOST:PORT) instead of locally (local:, the default): workers (${commandLine('worker', '--queue URL')}) train the runs; --out must be a path every worker reaches` },
        out: { type: 'string', describe: 'Comparison directory (default runs/compare__<env>__<time>); reuse it to resume' },
        'report-only': { type: 'string', describe: 'Recompute report.json and report.md of this existing comparison directory; trains nothing' },
        'bootstrap-reps': shared['bootstrap-reps'],
        progress: shared.progress,
      }))
      .example('$0 compare --env cartpole --agents dqn,ppo,a2c --seeds 5', 'Three agents, five seeds each, with their tuned presets')
      .example('$0 compare --env cartpole --agents dqn,ppo --seed-list 3,7 --steps 20000 --workers 2', 'Fixed budget, chosen seeds, two runs at a time')
      .example('$0 compare --env cartpole --agents dqn,ppo,a2c --seeds 5 --out runs/cmp', 'Rerun after an interruption: finished runs are kept, the rest resume')
      .example('$0 compare --env cartpole --agents dqn,ppo --seeds 20 --out /shared/cmp --queue redis://10.0.0.5:6379', 'On the queue: workers on any machine train the runs')
      .example('$0 compare --report-only runs/cmp', 'Recompute the report') as unknown as Argv<CompareArgs>;
  },
  handler: async (a) => {
    if (a['report-only'] !== undefined) {
      positiveInt('--bootstrap-reps', a['bootstrap-reps']);
      const report = reportFor(a['report-only'], { bootstrapReps: a['bootstrap-reps'] });
      console.log(reportMarkdown(report));
      console.log(`wrote ${path.join(path.resolve(a['report-only']), COMPARISON_FILES.reportMarkdown)} and ${COMPARISON_FILES.report}`);
      return;
    }
    const options = compareOptionsFromArgs(a);
    options.command = typedCommandWords('compare');
    printResult(await runComparison(options));
  },
};

/** Prints the report (when there is one) and sets the exit code: 0 complete, 1 some run failed, 130 interrupted. */
export function printResult(result: CompareResult): void {
  if (result.report) {
    console.log(reportMarkdown(result.report));
    console.log(`wrote ${path.join(result.outDir, COMPARISON_FILES.reportMarkdown)} and ${COMPARISON_FILES.report}${result.failures.length ? ` (${result.failures.length} run(s) missing: ${result.failures.map((f) => f.run).join(', ')})` : ''}`);
  }
  process.exitCode = result.interrupted ? 130 : result.failures.length ? 1 : 0;
}
