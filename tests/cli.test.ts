import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCli, run } from '../experiments/cli.js';
import { runCli, startScript, type CliResult } from './helpers/cli.js';
import { DQN_HYPERPARAMS } from '../agents/dqn.js';
import { invalidValues, type ParamSpec } from '../agents/hyperparams.js';

/** Runs `argsList` as real CLI processes, `width` at a time. */
async function runAll(argsList: string[][], width = 3, env: Record<string, string> = {}): Promise<CliResult[]> {
  const results: CliResult[] = new Array(argsList.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < argsList.length) {
        const i = next++;
        results[i] = await runCli(argsList[i], env);
      }
    }),
  );
  return results;
}

/** Runs the CLI in-process (as `main` does, without exiting), capturing what it prints on stderr. */
async function runInProcess(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  let stderr = '';
  const code = await run(args, (t) => (stderr += `${t}\n`), env);
  return { code, signal: null, stdout: '', stderr };
}

/** A user error as the CLI must report it: exit code 2, `error: <one line>` then one hint line, no stack trace. */
function expectUsageError(r: CliResult, message: RegExp, what: string): void {
  expect(r.code, `${what}: ${r.stderr}`).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, `${what}: ${r.stderr}`).toHaveLength(2);
  expect(lines[0], what).toMatch(/^error: /);
  expect(lines[0], what).toMatch(message);
  expect(lines[1], what).toMatch(/^hint: /);
  expect(r.stderr, what).not.toMatch(/\n\s+at |Error:/);
}

describe('CLI', () => {
  it('--help documents the train flags (as a real process)', async () => {
    const r = await runCli(['train', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--seed', '--steps', '--envs', '--out', '--backend', '--eval-every', '--eval-episodes', '--resume', '--set']) expect(r.stdout).toContain(flag);
    expect(r.stderr).toBe('');
  });

  it('every yargs error path, in every command, exits 2 with one line and a hint, no stack trace', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-cli-'));
    const cases: [string[], RegExp][] = [
      [['train', 'foo', 'cartpole'], /invalid agent "foo"; choose one of dqn, ppo, a2c, reinforce/],
      [['train', 'dqn', 'cartpole', '--stepz', '5'], /unknown flag --stepz \(did you mean --steps\?\)/],
      [['train', 'dqn', 'cartpole', '--backend', 'gpu'], /invalid --backend "gpu"; choose one of auto, tensorflow, wasm, cpu/],
      [['train', 'dqn', 'cartpole', '--progress', 'fancy'], /invalid --progress "fancy"/],
      [['train', 'dqn', 'cartpole', 'extra'], /unknown flag --extra/],
      [['train', 'dqn', 'cartpole', '--steps'], /--steps needs a value/],
      [['train', 'dqn', 'cartpole', '--set'], /--set needs a value, e.g. --set key=value/],
      [['train', '--resume'], /--resume needs a value/],
      [['record'], /missing required --run/],
      [['record', '--run'], /--run needs a value/],
      [['record', '--run', out, '--episodes', 'lots'], /--episodes must be a positive integer, got NaN/],
      [['view', '--prot', '80'], /unknown flag --prot/],
      [['view', '--port', '99999'], /--port must be an integer from 0 to 65535, got 99999/],
      [['compare', '--env', 'cartpole', '--agents', 'dqn', '--seed', '3'], /unknown flag --seed \(did you mean --seeds\?\)/],
      [['compare', '--env'], /--env needs a value/],
      [['compare', '--env', 'cartpole', '--agents', 'dqn', '--backend', 'gpu'], /invalid --backend "gpu"/],
      [['hyperparams', 'rainbow'], /invalid agent "rainbow"/],
      [['hyperparams'], /name an agent \(dqn, ppo, a2c, reinforce, sac, td3\)/],
      [['trian', 'dqn'], /unknown command 'trian' \(did you mean train\?\); commands: train, record, view, compare, hyperparams/],
      [[], /name a command: train, record, view, compare, hyperparams/],
    ];
    for (const [args, message] of cases) expectUsageError(await runInProcess(args), message, args.join(' '));
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it('as real processes: usage errors exit 2 with one line and a hint; --debug / TSGYM_DEBUG=1 show the stack', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-cli-'));
    const cases: [string[], RegExp][] = [
      [['train', 'foo', 'cartpole'], /invalid agent "foo"/],
      [['train', 'dqn', 'cartpole', '--stepz', '5'], /unknown flag --stepz \(did you mean --steps\?\)/],
      [['train', 'dqn', 'cartpole', '--set', 'gamma=2', '--out', out], /dqn: hyperparameter 'gamma' must be a number in \[0, 1\], got 2/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    const results = await runAll([...cases.map(([args]) => args), ['train', 'dqn', 'cartpole', '--stepz', '5', '--debug'], ['view', '--port', '-1']], 3);
    cases.forEach(([args, message], i) => expectUsageError(results[i], message, args.join(' ')));
    const [flag] = results.slice(cases.length);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/UsageError: unknown flag --stepz[\s\S]*\n\s+at /);
    const env = await runInProcess(['view', '--port', '-1'], { TSGYM_DEBUG: '1' });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/--port must be an integer[\s\S]*\n\s+at /);
    expectUsageError(results[cases.length + 1], /--port must be an integer from 0 to 65535, got -1/, 'view --port -1');
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it('npm run bench / verify: an unknown or empty --only, or a bad --many-seeds, exits 2 with one line and a hint, before any work', async () => {
    const [bench, verify, empty, seeds] = await Promise.all([
      startScript('bench.ts', ['--only', 'envs,solve-dqnn']).done,
      startScript('verify.ts', ['--only', 'stabel']).done,
      startScript('verify.ts', ['--only', ',']).done,
      startScript('bench.ts', ['--only', 'envs,many-seeds', '--many-seeds', 'td3=4']).done,
    ]);
    expectUsageError(bench, /unknown section 'solve-dqnn' \(did you mean solve-dqn\?\); choose from envs, replay, dqn, solve-dqn/, 'bench --only envs,solve-dqnn');
    expect(bench.stdout).toBe(''); // refused before the envs section ran
    expectUsageError(verify, /unknown check 'stabel' \(did you mean stable\?\)/, 'verify --only stabel');
    expectUsageError(empty, /--only needs at least one check/, 'verify --only ,');
    expectUsageError(seeds, /--many-seeds: 'td3=4' is not AGENT=SEEDS with AGENT one of ppo, a2c, dqn, sac/, 'bench --many-seeds td3=4');
    expect(seeds.stdout).toBe('');
  });

  it('bad hyperparameters, seeds and flag values exit 2 with one line naming the value, and create no run', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-cli-'));
    const cases: [string[], RegExp][] = [
      [['--set', 'trainFreq=0'], /dqn: hyperparameter 'trainFreq' must be an integer >= 1, got 0/],
      [['--set', 'activation=sigmoid'], /dqn: hyperparameter 'activation' must be one of 'relu', 'tanh', got "sigmoid"/],
      [['--set', 'gamma=2'], /dqn: hyperparameter 'gamma' must be a number in \[0, 1\], got 2/],
      [['--set', 'bufferSize=0'], /dqn: hyperparameter 'bufferSize' must be an integer in \[1, 10000000\], got 0/],
      [['--set', 'hidden=[0]'], /dqn: hyperparameter 'hidden' must be a list of integers in \[1, 65536\]/],
      [['--set', 'batchSize=512', '--set', 'bufferSize=256'], /dqn: batchSize=512 must be <= bufferSize=256/],
      [['--seed', '-1'], /--seed must be an integer from 0 to 2\^53 − 1 .*got -1/],
      [['--seed', '1.5'], /--seed must be an integer from 0 to 2\^53 − 1 .*got 1.5/],
      [['--seed', 'abc'], /--seed must be an integer from 0 to 2\^53 − 1 .*got abc$/],
      [['--envs', '0'], /--envs must be a positive integer, got 0/],
      [['--steps', '5', '--steps', '6'], /--steps must be a positive integer, got 5,6/],
    ];
    for (const [args, message] of cases) expectUsageError(await runInProcess(['train', 'dqn', 'cartpole', ...args, '--out', out, '--progress', 'none']), message, args.join(' '));
    const ppo = await runInProcess(['compare', '--env', 'cartpole', '--agents', 'ppo', '--envs', '2', '--set', 'ppo.numMinibatches=1000', '--out', path.join(out, 'cmp')]);
    expectUsageError(ppo, /ppo: numMinibatches=1000 must be <= numSteps × numEnvs = 256 × 2 = 512/, 'compare ppo');
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it('rejects bad input with a message that lists the valid choices, and creates no run', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-cli-'));
    const cases: [string[], RegExp][] = [
      [['train', 'dqn', 'cartpol'], /unknown env 'cartpol'. Registered envs: .*CartPole-v1/],
      [['train', 'dqnn', 'cartpole'], /invalid agent "dqnn"; choose one of dqn,/],
      [['train', 'dqn', 'cartpole', '--stepz', '5'], /unknown flag --stepz/],
      [['train', 'dqn', 'cartpole', '--set', 'lrr=0.1'], /unknown hyperparameter 'lrr' \(did you mean lr\?\)\. Valid keys: .*lr/],
      [['train', 'dqn', 'cartpole', '--set', 'lr=fast'], /'lr' must be a number/],
      [['train', 'dqn', 'cartpole', '--set', 'lr'], /--set expects key=value, got 'lr'/],
      [['train', 'dqn', 'cartpole', '--steps', '-5'], /--steps must be a positive integer, got -5/],
      [['train', 'dqn', 'cartpole', '--backend', 'gpu'], /invalid --backend "gpu"/],
      [['train', 'dqn', 'cartpole', '--env-set', 'gravity=3'], /unknown option 'gravity'/],
      [['train', 'dqn', 'lanekeeper-continuous'], /dqn does not support Box action spaces/],
      [['train', '--resume', out], /not a run directory/],
    ];
    for (const [args, message] of cases) {
      const run = async () => buildCli([...args, '--out', out, '--progress', 'none']).parseAsync();
      await expect(run(), args.join(' ')).rejects.toThrow(message);
    }
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it('every DQN hyperparameter out of range (below min, above max, wrong type, bad choice) is refused before a run directory exists', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-cli-'));
    let n = 0;
    for (const [key, spec] of Object.entries(DQN_HYPERPARAMS.params as Record<string, ParamSpec>)) {
      if (spec.setBy) {
        // Keys the harness sets from a run flag cannot be --set at all (they would be overwritten).
        await expect(buildCli(['train', 'dqn', 'cartpole', '--set', `${key}=1000`, '--out', out]).parseAsync(), key).rejects.toThrow(`dqn: '${key}' is set from ${spec.setBy}; use ${spec.setBy} instead of --set ${key}=…`);
        continue;
      }
      for (const bad of invalidValues(spec)) {
        // As the user types it: JSON where it parses (numbers, lists, booleans), else a plain string.
        const text = typeof bad === 'string' ? bad : Number.isNaN(bad) ? 'NaN' : bad === Infinity ? 'Infinity' : JSON.stringify(bad);
        const run = async () => buildCli(['train', 'dqn', 'cartpole', '--set', `${key}=${text}`, '--out', out, '--progress', 'none']).parseAsync();
        await expect(run(), `${key}=${text}`).rejects.toThrow(new RegExp(`^dqn: hyperparameter '${key}' must be `));
        n++;
      }
    }
    expect(n).toBeGreaterThan(80);
    expect(fs.readdirSync(out)).toEqual([]);
  });
});
