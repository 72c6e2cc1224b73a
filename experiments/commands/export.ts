/**
 * `export RUN [--checkpoint latest|best|STEP] --format onnx|tfjs --out DIR`: writes a run's greedy policy as
 * an ONNX model or a TensorFlow.js graph model, with a policy.json describing it (experiments/export/).
 */
import type { Argv, CommandModule } from 'yargs';
import { RUN_DIR_DESCRIPTION, checkpointFlag, valueFlags } from './flags.js';
import { initBackend } from '../../agents/backend.js';
import { parseCheckpointChoice } from '../harness/agent-io.js';
import { EXPORT_FORMATS, exportPolicy, type ExportFormat } from '../export/export-policy.js';

interface ExportArgs {
  run: string;
  checkpoint: string;
  format: ExportFormat;
  out: string;
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export <run>',
  describe: "Export a run's greedy policy as ONNX or TensorFlow.js, usable without tsgym",
  builder: (y: Argv) =>
    y
      .positional('run', { type: 'string', describe: RUN_DIR_DESCRIPTION })
      .options(valueFlags({
        checkpoint: checkpointFlag('Agent to export'),
        format: { choices: EXPORT_FORMATS, demandOption: true, describe: 'onnx: policy.onnx (any ONNX runtime); tfjs: model.json + weights.bin (tf.loadGraphModel)' },
        out: { type: 'string', demandOption: true, describe: 'Destination directory (created; an existing one must be empty)' },
      }))
      .example('$0 export runs/CartPole-v1__ppo__seed0__20260101-120000 --format onnx --out cartpole-policy', 'policy.onnx + policy.json in cartpole-policy/') as unknown as Argv<ExportArgs>,
  handler: async (a) => {
    const checkpoint = parseCheckpointChoice(a.checkpoint);
    // The weights are read from the checkpoint on the CPU backend; the exported model does not depend on it.
    await initBackend('cpu');
    const res = await exportPolicy(a.run, { format: a.format, outDir: a.out, checkpoint });
    const p = res.policy.provenance;
    console.error(`exported ${p.agent} on ${p.envId}, step ${p.step} (${a.checkpoint}) as ${a.format}`);
    for (const f of res.files) console.log(`${res.outDir}/${f}`);
  },
};
