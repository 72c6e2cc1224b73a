/**
 * The run spec (formats/run-spec.ts, and experiments/run-spec.ts for Node): one resolution for train, compare and bench over every preset;
 * the preset's reward threshold reaches the run; preset files; specs as versioned JSON; and the refusals of
 * hostile or huge inputs (one line, nothing written).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentNames } from '../agents/registry.js';
import { PRESETS, presetFor } from '../experiments/presets.js';
import { planComparison, runSpecOf } from '../experiments/plan/request.js';
import { presetRunSpec } from '../experiments/harness/preset-runs.js';
import { trainSpecFromArgs } from '../experiments/commands/train.js';
import { runFlagOptions } from '../experiments/run-spec.js';
import { parseRunSpecDocument, RUN_SPEC_VERSION, RUN_FIELDS, runSpecDocument } from '../formats/run-spec.js';
import { ROOT, expectOneLine, runCli, runInProcess, writeMyPoleModule } from './helpers/cli.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-run-spec-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const trainArgs = (agent: string, env: string, extra: Record<string, unknown> = {}) => ({ agent, env, set: [] as string[], 'env-set': [] as string[], progress: 'none' as const, ...extra });

describe('resolveRunSpec: one resolution for every command', () => {
  const pairs = Object.entries(PRESETS).flatMap(([agent, envs]) => (agentNames().includes(agent) ? Object.keys(envs).map((env) => [agent, env] as const) : []));

  it('train, compare and bench resolve the same spec for every (agent, env) preset', () => {
    expect(pairs.length).toBeGreaterThan(20);
    for (const [agent, env] of pairs) {
      const preset = presetFor(agent, env);
      const viaTrain = trainSpecFromArgs(trainArgs(agent, env));
      // A one-agent comparison with the preset's own early-stop rule (a comparison's default is no early stop).
      const request = planComparison({ env, agents: [agent], seeds: [0], stopWhenSolved: preset.stopWhenSolved, outDir: '' });
      const viaCompare = runSpecOf(request, agent, 0);
      const viaBench = presetRunSpec(agent, env, 0, { backend: 'auto', recordEpisodes: viaTrain.recordEpisodes });
      expect(viaCompare, `${agent} ${env}: compare`).toEqual(viaTrain);
      expect(viaBench, `${agent} ${env}: bench`).toEqual(viaTrain);
      expect(viaTrain.totalSteps, `${agent} ${env}`).toBe(preset.totalSteps);
      expect(viaTrain.rewardThreshold, `${agent} ${env}`).toBe(preset.rewardThreshold ?? viaTrain.rewardThreshold);
    }
  });

  it('train:sac pendulum and train:td3 pendulum carry the preset threshold of −200 and stop when solved', () => {
    for (const agent of ['sac', 'td3']) {
      const spec = trainSpecFromArgs(trainArgs(agent, 'pendulum'));
      expect(spec).toMatchObject({ env: 'Pendulum-v1', rewardThreshold: -200, stopWhenSolved: true });
    }
  });

  it('every run field has a flag in train (seed aside, compare and sweep too)', () => {
    const train = runFlagOptions('train');
    const compare = runFlagOptions('compare');
    for (const f of RUN_FIELDS) {
      expect(train[f.flag], f.flag).toBeDefined();
      if (f.key !== 'seed') expect(compare[f.flag], f.flag).toBeDefined();
    }
    expect(compare.seed).toBeUndefined();
  });

  it('a run stops at the first eval reaching its threshold (the threshold flows from the flag to the trainer)', async () => {
    const out = path.join(root, 'threshold');
    const r = await runInProcess(['train', 'sac', 'pendulum', '--steps', '1500', '--eval-every', '500', '--eval-episodes', '1', '--record-episodes', '0', '--reward-threshold', '-100000', '--set', 'learningStarts=100', '--backend', 'wasm', '--progress', 'none', '--out', out, '--run-name', 'r']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'r', 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ status: 'finished', steps: 500, solvedAtStep: 500 });
    expect(JSON.parse(fs.readFileSync(path.join(out, 'r', 'config.json'), 'utf8'))).toMatchObject({ rewardThreshold: -100000, fingerprint: { version: expect.any(String), source: expect.stringMatching(/^[0-9a-f]{64}$/) } });
  }, 120_000);
});

describe('--preset FILE', () => {
  it('lays the file over the built-in preset; flags override the file', () => {
    const file = path.join(root, 'preset.json');
    fs.writeFileSync(file, JSON.stringify({ agent: 'dqn', env: 'cartpole', totalSteps: 1234, evalEvery: 617, hyperparams: { lr: 0.0007 } }));
    const spec = trainSpecFromArgs({ ...trainArgs(undefined as unknown as string, undefined as unknown as string), preset: file, 'eval-every': 100 });
    expect(spec).toMatchObject({ agent: 'dqn', env: 'CartPole-v1', totalSteps: 1234, evalEvery: 100 });
    expect(spec.hyperparams).toMatchObject({ lr: 0.0007, gradientSteps: presetFor('dqn', 'cartpole').hyperparams.gradientSteps });
  });

  it('a comparison lays the file over every agent\'s preset; a file for another env or naming an agent is refused', () => {
    const request = planComparison({ env: 'cartpole', agents: ['dqn', 'ppo'], seeds: [0], presetFile: { evalEvery: 777, env: 'CartPole-v1' }, presetFileName: 'p.json', outDir: '' });
    for (const a of ['dqn', 'ppo']) expect(request.plans[a].evalEvery).toBe(777);
    expect(() => planComparison({ env: 'cartpole', agents: ['dqn'], seeds: [0], presetFile: { env: 'acrobot' }, presetFileName: 'p.json', outDir: '' })).toThrow(/^--preset p\.json is for env acrobot, not CartPole-v1$/);
    expect(() => planComparison({ env: 'cartpole', agents: ['dqn'], seeds: [0], presetFile: { agent: 'dqn' }, presetFileName: 'p.json', outDir: '' })).toThrow(/names agent dqn; a comparison's preset file applies to every agent/);
  });

  it('a bad preset file is one line, and nothing is written', async () => {
    const out = path.join(root, 'bad-preset-out');
    const cases: [unknown, RegExp][] = [
      ['{ nope', /--preset .*bad\.json is not valid JSON/],
      [[1, 2], /must hold a JSON object/],
      [{ totalStep: 5 }, /unknown key 'totalStep'/],
      [{ totalSteps: -5 }, /totalSteps must be a positive integer, got -5/],
      [{ agent: 'ppo' }, /is for agent ppo, not dqn/],
    ];
    for (const [content, message] of cases) {
      const file = path.join(root, 'bad.json');
      fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
      expectOneLine(await runInProcess(['train', 'dqn', 'cartpole', '--preset', file, '--out', out]), message);
    }
    expectOneLine(await runInProcess(['train', 'dqn', '--preset', path.join(root, 'missing.json'), '--out', out]), /--preset .*missing\.json: no such file/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('hostile and huge inputs: one line, nothing written', () => {
  it('--envs 1000000000 is refused from an estimate before anything is allocated', async () => {
    const out = path.join(root, 'huge');
    expectOneLine(await runInProcess(['train', 'dqn', 'cartpole', '--envs', '1000000000', '--out', out]), /needs about [\d.]+ GiB of memory \(--envs 1000000000.*this machine has/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a seed past 2^53 is refused as typed, not as the double it rounds to', async () => {
    const r = await runInProcess(['train', 'dqn', 'cartpole', '--seed', '9007199254740993', '--out', path.join(root, 'seed')]);
    expectOneLine(r, /--seed must be an integer from 0 to 2\^53 − 1 \(9007199254740991\), got 9007199254740993$/);
    expectOneLine(await runInProcess(['compare', '--env', 'cartpole', '--agents', 'dqn', '--seed-list', '1,9007199254740993']), /got 9007199254740993$/);
    expectOneLine(await runInProcess(['train', 'dqn', 'cartpole', '--seed', '1.5']), /--seed must be an integer .* got 1\.5$/);
  });

  it('sweep --random is bounded, and a grid listing a value twice is refused', async () => {
    const out = path.join(root, 'sweep');
    expectOneLine(await runInProcess(['sweep', '--agent', 'dqn', '--env', 'cartpole', '--random', '1000000', '--range', 'lr=1e-4:1e-2:log', '--out', out]), /--random 1000000 is more than the 1000 configurations one sweep plans/);
    expectOneLine(await runInProcess(['sweep', '--agent', 'dqn', '--env', 'cartpole', '--grid', 'lr=1e-3,1e-3', '--out', out]), /--grid lr=1e-3,1e-3: the value 0\.001 is listed twice/);
    expectOneLine(await runInProcess(['sweep', '--agent', 'dqn', '--env', 'cartpole', '--grid', 'lr=1,2,3,4,5,6,7,8,9,10', '--grid', 'gamma=1,2,3,4,5,6,7,8,9,10', '--grid', 'tau=1,2,3,4,5,6,7,8,9,10,11', '--out', out]), /the grid has 1100 configurations, more than the 1000/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('specs as data', () => {
  const spec = () => trainSpecFromArgs(trainArgs('dqn', 'cartpole', { steps: 600, 'eval-every': 300, 'eval-episodes': 1, 'record-episodes': 0, set: ['learningStarts=100'], backend: 'wasm' }));

  it('a spec document round-trips; one of a newer version, another format or with bad fields is refused with one line', () => {
    const doc = runSpecDocument(spec());
    expect(parseRunSpecDocument(JSON.parse(JSON.stringify(doc)), 'x')).toEqual(spec());
    expect(() => parseRunSpecDocument({ ...doc, version: RUN_SPEC_VERSION + 1 }, 'job 7')).toThrow(/^job 7 is a run spec of version 2; this tsgym reads up to version 1 \(update tsgym on this machine\)$/);
    expect(() => parseRunSpecDocument({ ...doc, format: 'tsgym-comparison' }, 'x')).toThrow(/is not a run spec/);
    expect(() => parseRunSpecDocument({ ...doc, numEnvs: -1 }, 'x')).toThrow(/^x: numEnvs must be a positive integer, got -1$/);
    expect(() => parseRunSpecDocument({ ...doc, out: '/etc' }, 'x')).toThrow(/unknown run spec field 'out'/);
    expect(() => parseRunSpecDocument({ ...doc, fingerprint: undefined }, 'x')).toThrow(/fingerprint must be/);
  });

  it('`train --spec -` (a real process, the spec on stdin) trains exactly the spec the in-process path resolves', async () => {
    const out = path.join(root, 'spec-stdin');
    const s = spec();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'experiments', 'cli.ts'), 'train', '--spec', '-', '--out', out, '--run-name', 'r', '--progress', 'none'], { cwd: ROOT, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdin!.end(JSON.stringify(runSpecDocument(s)));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    const file = path.join(root, 'spec.json');
    const config = JSON.parse(fs.readFileSync(path.join(out, 'r', 'config.json'), 'utf8'));
    expect(config).toMatchObject({ agent: 'dqn', envId: 'CartPole-v1', seed: 0, totalSteps: 600, evalEvery: 300, recordEpisodes: 0, backendRequested: 'wasm', fingerprint: s.fingerprint });
    expect(config.hyperparams).toEqual({ ...s.hyperparams, totalSteps: 600 });
    fs.writeFileSync(file, JSON.stringify({ ...runSpecDocument(s), version: 2 }));
    expectOneLine(await runInProcess(['train', '--spec', file, '--out', path.join(root, 'never')]), /run spec .*spec\.json is a run spec of version 2/);
    expectOneLine(await runInProcess(['train', 'dqn', '--spec', file, '--steps', '5']), /holds the whole run; drop agent, --steps/);
    expect(fs.existsSync(path.join(root, 'never'))).toBe(false);
  }, 120_000);
});

describe('env modules travel with the spec', () => {
  it('a child reloads the spec\'s env modules; a changed module is refused with one line unless allowed, on --spec and on --resume', async () => {
    const dir = path.join(root, 'env-module');
    fs.mkdirSync(dir);
    const mod = writeMyPoleModule(dir);
    const sha = createHash('sha256').update(fs.readFileSync(mod)).digest('hex');
    const base = trainSpecFromArgs(trainArgs('ppo', 'cartpole', { steps: 512, 'eval-every': 256, 'eval-episodes': 1, 'checkpoint-every': 256, 'record-episodes': 0, backend: 'wasm' }));
    const doc = { ...runSpecDocument(base), env: 'MyPole-v0', rewardThreshold: null, envModules: [{ path: mod, sha256: sha, envIds: ['MyPole-v0'] }] };
    const file = path.join(dir, 'spec.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    const out = path.join(dir, 'runs');
    const cli = (args: string[]) => runCli(args);
    const first = await cli(['train', '--spec', file, '--out', out, '--run-name', 'r', '--progress', 'none']);
    expect(first.code, first.stderr).toBe(0);
    const config = JSON.parse(fs.readFileSync(path.join(out, 'r', 'config.json'), 'utf8'));
    expect(config).toMatchObject({ envId: 'MyPole-v0', envModules: [{ path: mod, sha256: sha, envIds: ['MyPole-v0'] }] });

    fs.appendFileSync(mod, '// edited\n');
    const changed = await cli(['train', '--spec', file, '--out', out, '--run-name', 'r2', '--progress', 'none']);
    expectOneLine(changed, /env module .*my-pole\.mjs changed since the run started/);
    expect(fs.existsSync(path.join(out, 'r2'))).toBe(false);
    const resumed = await cli(['train', '--resume', path.join(out, 'r'), '--steps', '768', '--progress', 'none']);
    expectOneLine(resumed, /env module .*my-pole\.mjs changed since the run started/);
    const allowed = await cli(['train', '--resume', path.join(out, 'r'), '--steps', '768', '--allow-changed-env-module', '--progress', 'none']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'r', 'summary.json'), 'utf8'))).toMatchObject({ status: 'finished', steps: 768 });
    // The run now records the module it goes on with, so the next resume needs no flag.
    const edited = createHash('sha256').update(fs.readFileSync(mod)).digest('hex');
    expect(JSON.parse(fs.readFileSync(path.join(out, 'r', 'config.json'), 'utf8')).envModules).toEqual([{ path: mod, sha256: edited, envIds: ['MyPole-v0'] }]);
    const again = await cli(['train', '--resume', path.join(out, 'r'), '--steps', '1024', '--progress', 'none']);
    expect(again.code, again.stderr).toBe(0);
  }, 180_000);
});
