/**
 * The agent contract, checked for every registered agent (a new agent gets these tests by registering):
 * - hyperparameters: every key's default is valid, and values below its minimum, above its maximum, of the
 *   wrong type or outside its choices are refused (generated from the schema), by the registry and by the
 *   agent's own constructor;
 * - no tensor leaks over act / observe / update loops, and dispose frees what the agent allocated;
 * - saveAgent / loadAgent round trip: the loaded agent has the same state and continues identically;
 * - determinism: the same seed gives identical metrics.jsonl and weights;
 * - resume after SIGKILL gives the uninterrupted run's metrics and weights.
 * Each agent runs on a small env of an action space it supports, with its registration's `smallConfig`.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, tf } from '../agents/backend.js';
import { agentRegistrations, createAgent, resolveHyperparams } from '../agents/registry.js';
import { invalidValues, isValid, type ParamSpec } from '../agents/hyperparams.js';
import type { AgentRegistration } from '../agents/agent.js';
import { listEnvs, makeVec } from '../envs/registry.js';
import { loadAgent, loadAgentFromRun, saveAgent } from '../experiments/harness/agent-io.js';
import { buildCli } from '../experiments/cli.js';
import { runCli, startCli, type CliResult } from './helpers/cli.js';
import { drive, sameState } from './helpers/agent-loop.js';

/** A small env per action space (episodes short enough for quick evaluations). */
function envFor(space: 'Discrete' | 'Box'): string {
  if (space === 'Discrete') return 'CartPole-v1';
  return listEnvs().some((r) => r.id === 'Pendulum-v1') ? 'Pendulum-v1' : 'LaneKeeperContinuous-v0';
}

/** Caps for the conventional size keys, so an agent without a `smallConfig` still runs small. */
const SMALL_CAPS: Record<string, number> = { learningStarts: 100, batchSize: 32, bufferSize: 2_000, numSteps: 32 };

/**
 * The agent's small configuration: list keys (layer sizes) shrunk to [16] and the conventional size keys capped
 * (when the agent has them and the cap is valid), then the registration's own `smallConfig`.
 */
function smallHyperparams(reg: AgentRegistration): Record<string, unknown> {
  const hp: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(reg.hyperparams.params as Record<string, ParamSpec>)) {
    if (spec.type === 'intList' && spec.default.length > 0) hp[k] = [16];
    const cap = SMALL_CAPS[k];
    if (cap !== undefined && spec.type === 'integer' && spec.default > cap && isValid(spec, cap)) hp[k] = cap;
  }
  return { ...hp, ...(reg.smallConfig ?? {}) };
}

const NUM_ENVS = 2;

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-contract-'));

/** `train` arguments of an agent's determinism/resume runs (the CLI's own argument handling, in and out of process). */
function trainArgs(name: string, runName: string): string[] {
  const reg = agentRegistrations().find((r) => r.name === name)!;
  return [
    'train', name, envFor(reg.actionSpaces[0]), '--seed', '3', '--steps', '600', '--envs', String(NUM_ENVS), '--eval-every', '300', '--eval-episodes', '1',
    '--record-episodes', '0', '--checkpoint-every', '200', '--log-every', '100', '--no-stop-when-solved', '--backend', 'wasm', '--progress', 'none',
    '--out', path.join(out, name), '--run-name', runName, ...Object.entries(smallHyperparams(reg)).flatMap(([k, v]) => ['--set', `${k}=${JSON.stringify(v)}`]),
  ];
}
const runDir = (name: string, runName: string) => path.join(out, name, runName);

/**
 * Per agent: a CLI process killed with SIGKILL once its first checkpoint exists (checkpoint writes are slowed so
 * it is still running then), then `train --resume` in a new process. Started up front so the processes overlap
 * with the in-process tests.
 */
const killedRuns = new Map<string, Promise<{ step: number; signal: NodeJS.Signals | null; resumed: CliResult }>>();
function killAndResume(name: string): Promise<{ step: number; signal: NodeJS.Signals | null; resumed: CliResult }> {
  const { child, done } = startCli(trainArgs(name, 'killed'), { TSGYM_CHECKPOINT_WRITE_DELAY_MS: '300' });
  const latest = path.join(runDir(name, 'killed'), 'checkpoints', 'latest.json');
  const killedAt = new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      if (!fs.existsSync(latest)) return;
      let step = -1;
      try {
        step = JSON.parse(fs.readFileSync(latest, 'utf8')).step;
      } catch {
        return; // being replaced
      }
      clearInterval(timer);
      child.kill('SIGKILL');
      resolve(step);
    }, 15);
    done.then((r) => {
      clearInterval(timer);
      reject(new Error(`${name}: the run ended before it could be killed (code ${r.code}): ${r.stderr}`));
    });
  });
  return killedAt.then(async (step) => {
    const { signal } = await done;
    const resumed = await runCli(['train', '--resume', runDir(name, 'killed'), '--progress', 'none']);
    return { step, signal, resumed };
  });
}

beforeAll(async () => {
  await initBackend('wasm');
  // Two agents' processes at a time (in registry order, as the tests wait for them), not all at once.
  let slots: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
  agentRegistrations().forEach((reg, i) => {
    const p = slots[i % 2].then(() => killAndResume(reg.name));
    slots[i % 2] = p.catch(() => {}); // a failure is reported by the agent's own test
    killedRuns.set(reg.name, p);
  });
  slots = [];
});

describe.each(agentRegistrations().map((reg) => [reg.name, reg] as const))('agent contract: %s', (name, reg) => {
  const spaces = reg.actionSpaces;
  const hp = smallHyperparams(reg);
  const infoFor = (env: string, numEnvs = NUM_ENVS) => {
    const vec = makeVec(env, numEnvs);
    return { vec, info: { observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, numEnvs } };
  };

  it('refuses every hyperparameter out of range, of the wrong type or outside its choices (from the schema)', () => {
    const { info } = infoFor(envFor(spaces[0]));
    expect(() => resolveHyperparams(name, hp, { numEnvs: NUM_ENVS }), 'smallConfig').not.toThrow();
    let checked = 0;
    for (const [key, spec] of Object.entries(reg.hyperparams.params as Record<string, ParamSpec>)) {
      expect(spec.description.length, `${key} has a description`).toBeGreaterThan(5);
      expect(isValid(spec, spec.default), `${key}: default ${JSON.stringify(spec.default)} is valid`).toBe(true);
      const bad = invalidValues(spec);
      for (const v of bad) {
        expect(() => resolveHyperparams(name, { [key]: v }), `${key}=${String(v)}`).toThrow(new RegExp(`^${name}: hyperparameter '${key}' must be .*, got `));
        checked++;
      }
      // The agent's own constructor validates too (library users may call it directly).
      expect(() => reg.create(info, { [key]: bad[0] }, 0), `create with ${key}=${String(bad[0])}`).toThrow(new RegExp(`'${key}' must be`));
    }
    expect(() => resolveHyperparams(name, { notAHyperparameter: 1 })).toThrow(new RegExp(`^${name}: unknown hyperparameter 'notAHyperparameter'. Valid keys: `));
    expect(checked).toBeGreaterThan(Object.keys(reg.hyperparams.params).length);
  });

  for (const space of spaces) {
    const env = envFor(space);

    it(`keeps tf.memory().numTensors flat over act/observe/update loops, and dispose frees what it allocated (${env})`, () => {
      const run = () => {
        const { vec, info } = infoFor(env);
        vec.reset({ seed: 1 });
        const agent = createAgent(name, info, hp, 1);
        let baseline = -1;
        const updates = drive(agent, vec, 300, 0, () => {
          if (baseline < 0) baseline = tf.memory().numTensors;
        });
        expect(updates, 'updates in 600 env steps').toBeGreaterThanOrEqual(3);
        expect(tf.memory().numTensors).toBe(baseline);
        agent.dispose();
        vec.close();
        return tf.memory().numTensors;
      };
      const afterFirst = run(); // one-time caches (e.g. per-batch-size constants) exist from here on
      expect(run()).toBe(afterFirst);
    });

    it(`saveAgent/loadAgent round trip: same state, same actions, and training continues identically (${env})`, () => {
      const { vec, info } = infoFor(env);
      vec.reset({ seed: 2 });
      const agent = createAgent(name, info, hp, 2);
      expect(drive(agent, vec, 150)).toBeGreaterThan(0);
      const dir = path.join(out, `saved-${name}-${space}`);
      saveAgent(agent, dir);
      const loaded = loadAgent(dir);
      expect(loaded.name).toBe(name);
      expect(loaded.config).toEqual(agent.config);
      sameState(agent.getState(), loaded.getState(), 'after load');
      const obs = vec.obs.slice();
      expect(Array.from(loaded.act(obs, NUM_ENVS, { greedy: true }).actions)).toEqual(Array.from(agent.act(obs, NUM_ENVS, { greedy: true }).actions));
      // Continue both on identical env copies: they must stay identical.
      const twin = makeVec(env, NUM_ENVS);
      twin.setState(JSON.parse(JSON.stringify(vec.getState())));
      drive(agent, vec, 60, 300);
      drive(loaded, twin, 60, 300);
      sameState(agent.getState(), loaded.getState(), 'after 60 more steps');
      agent.dispose();
      loaded.dispose();
    });
  }

  const env = envFor(spaces[0]);
  const metrics = (runName: string) => fs.readFileSync(path.join(runDir(name, runName), 'metrics.jsonl'), 'utf8');
  const finalState = (runName: string) => {
    const { agent, step } = loadAgentFromRun(runDir(name, runName));
    expect(step).toBe(600);
    const st = agent.getState();
    agent.dispose();
    return st;
  };

  it(`is deterministic and resumes after SIGKILL to the uninterrupted result (${env})`, async () => {
    // The killed-and-resumed run started in beforeAll, in its own processes, while the tests ran here.
    const killed = killedRuns.get(name)!;
    const log = vi.spyOn(console, 'log').mockImplementation(() => {}); // the command prints the run directory
    try {
      await buildCli(trainArgs(name, 'a')).parseAsync();
      await buildCli(trainArgs(name, 'b')).parseAsync();
    } finally {
      log.mockRestore();
    }
    expect(metrics('b')).toBe(metrics('a'));
    const lines = metrics('a').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.some((l) => l.kind === 'update'), 'the run trained').toBe(true);
    expect(lines.filter((l) => l.kind === 'eval').map((l) => l.step)).toEqual([300, 600]);
    const reference = finalState('a');
    sameState(reference, finalState('b'), 'same seed');

    const { step, signal, resumed } = await killed;
    expect(signal).toBe('SIGKILL');
    expect(step).toBeGreaterThanOrEqual(200);
    expect(step).toBeLessThan(600);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(metrics('killed')).toBe(metrics('a'));
    sameState(reference, finalState('killed'), 'killed and resumed');
  });
});
