/**
 * `hyperparams <agent>`: prints every hyperparameter of an agent with its type, valid values, default and
 * description (from the schema the agent file declares), and, with `--env`, the preset's overrides for
 * that env. `--json` prints the schema as JSON for tools.
 */
import type { Argv, CommandModule } from 'yargs';
import { agentNames, agentRegistration } from '../../agents/registry.js';
import { formatHyperparams } from '../../agents/hyperparams.js';
import { envChoices, resolveEnvId } from '../../envs/registry.js';
import { GENERIC_HYPERPARAMS, presetFor } from '../presets.js';
import { TsgymError } from '../../core/errors.js';
import { commandLine } from '../../core/command-line.js';

interface HyperparamsArgs {
  agent?: string;
  env?: string;
  json: boolean;
}

export const hyperparamsCommand: CommandModule<object, HyperparamsArgs> = {
  command: 'hyperparams [agent]',
  describe: "List an agent's hyperparameters: type, valid values, default, description",
  builder: (y: Argv) =>
    y
      .positional('agent', { type: 'string', describe: 'Agent', choices: agentNames() })
      .options({
        env: { type: 'string', requiresArg: true, describe: `Also show the tuned preset's values for this env (${envChoices().join(', ')})` },
        json: { type: 'boolean', default: false, describe: 'Print the schema as JSON' },
      })
      .example('$0 hyperparams dqn', "DQN's hyperparameters and their defaults")
      .example('$0 hyperparams ppo --env cartpole', "…and what PPO's CartPole preset sets") as unknown as Argv<HyperparamsArgs>,
  handler: (a) => {
    if (!a.agent) throw new TsgymError(`name an agent (${agentNames().join(', ')}), e.g. ${commandLine('hyperparams', 'dqn')}`);
    const reg = agentRegistration(a.agent);
    const preset = a.env !== undefined ? presetFor(reg.name, resolveEnvId(a.env)) : undefined;
    if (a.json) {
      console.log(JSON.stringify({ agent: reg.name, description: reg.description, actionSpaces: reg.actionSpaces, params: reg.hyperparams.params, ...(preset ? { preset: preset.hyperparams } : {}) }, null, 2));
      return;
    }
    console.log(formatHyperparams(reg.name, reg.hyperparams, `${reg.description}; action spaces: ${reg.actionSpaces.join(', ')}`));
    if (!preset) {
      const generic = Object.entries(GENERIC_HYPERPARAMS[reg.name] ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
      console.log(`\nFor an env without a preset: ${generic.length ? generic.join(' ') : 'these defaults'}, with observation normalisation where it is safe (--env ID shows the values for an env)`);
    }
    if (preset) {
      const env = resolveEnvId(a.env!);
      const entries = Object.entries(preset.hyperparams);
      console.log(`\n${preset.tuned ? `Preset for ${env}` : `No preset for ${env}: ${reg.name}'s defaults for new envs apply`}${entries.length ? ':' : ''}`);
      for (const [k, v] of entries) console.log(`  ${k}=${JSON.stringify(v)}`);
    }
  },
};
