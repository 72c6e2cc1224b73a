/**
 * `record --run DIR [--checkpoint latest|STEP] [--episodes 5] [--seed S]`: records greedy episodes of a
 * run's checkpoint as replay files under `<run>/episodes/record-<step>-seed<S>/`, for the viewer.
 */
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { RUN_DIR_DESCRIPTION, checkpointFlag, valueFlags } from './flags.js';
import { BACKENDS, initBackend, type BackendChoice } from '../../agents/backend.js';
import { TsgymError } from '../../core/errors.js';
import { STREAMS, streamSeeds, validateSeed } from '../../core/seeds.js';
import { loadAgentFromRun, parseCheckpointChoice } from '../harness/agent-io.js';
import { evaluate } from '../harness/evaluate.js';
import { fmt } from '../harness/progress.js';
import { lockRun } from '../harness/run-lock.js';
import { isRunDir, runPath } from '../run-files.js';

interface RecordArgs {
  run: string;
  checkpoint: string;
  episodes: number;
  seed: number;
  backend: BackendChoice;
}

export const recordCommand: CommandModule<object, RecordArgs> = {
  command: 'record',
  describe: "Record greedy episodes from a run's checkpoint as replays for the viewer",
  builder: (y: Argv) =>
    y
      .options(valueFlags({
        run: { type: 'string', demandOption: true, describe: RUN_DIR_DESCRIPTION },
        checkpoint: checkpointFlag('Checkpoint to load'),
        episodes: { type: 'number', default: 5, describe: 'Episodes to record' },
        seed: { type: 'number', default: 0, describe: 'Recording seed (0 to 2^53 − 1): episode k is reset with a seed hashed from (S, k), held out from training and evaluation' },
        backend: { choices: BACKENDS, default: 'auto' as BackendChoice, describe: 'TensorFlow.js backend' },
      }))
      .example('$0 record --run runs/CartPole-v1__dqn__seed0__20260101-120000 --episodes 5 --seed 7', 'Five more episodes from the latest checkpoint') as unknown as Argv<RecordArgs>,
  handler: async (a) => {
    const which = parseCheckpointChoice(a.checkpoint);
    if (!Number.isInteger(a.episodes) || a.episodes <= 0) throw new TsgymError(`--episodes must be a positive integer, got ${a.episodes}`);
    validateSeed(a.seed, '--seed');
    if (!isRunDir(a.run)) throw new TsgymError(`--run ${a.run}: not a run directory (no config.json)`);
    await initBackend(a.backend);
    // Recording writes into the run: not while another process trains it.
    const lock = lockRun(a.run, { command: 'record' });
    try {
      const { agent, config, step } = loadAgentFromRun(a.run, which);
      const recordDir = path.join(runPath(a.run, 'episodes'), `record-${step}-seed${a.seed}`);
      const res = await evaluate(agent, { envId: config.envId, envKwargs: config.envKwargs, episodes: a.episodes, seeds: streamSeeds(a.seed, STREAMS.recordEpisode, a.episodes), record: a.episodes, recordDir, agentName: config.agent, checkpointStep: step, label: `${config.agent} step ${step} (recorded)` });
      agent.dispose();
      console.error(`returns: ${res.returns.map((r) => fmt(r)).join(', ')} (mean ${fmt(res.mean)} ± ${fmt(res.std)})`);
      for (const f of res.replays) console.log(f);
    } finally {
      lock.release();
    }
  },
};
