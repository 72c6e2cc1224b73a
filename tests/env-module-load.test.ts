/**
 * `--env-module PATH` as a user meets it, in real CLI processes: a module that throws on import, registers
 * nothing, registers an id twice or breaks the env contract is refused with one error line (plus one line per
 * contract breach) and a hint, exit 2, and nothing is written; a module that only misses hardening trains,
 * with the checker's warnings grouped one line each; every command knows the envs it registers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { ROOT, runCli } from './helpers/cli.js';
import { loadEnvModules, loadedEnvModules } from '../experiments/env-modules.js';
import { run } from '../experiments/cli.js';
import { make } from '../envs/registry.js';
import { checkEnv } from '../envs/checker.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-env-modules-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A small correct env, written as a user would: no action validation and a setState that trusts its input. */
const PLAIN_ENV = `import { BaseEnv, Box, Discrete, register } from 'tsgym';
class Walk extends BaseEnv {
  observationSpace = new Box(-10, 10, [1]);
  actionSpace = new Discrete(2);
  x = 0;
  reset({ seed } = {}) {
    const rng = this.seedStream(seed);
    this.x = rng.int(3) - 1;
    return { obs: new Float32Array([this.x]), info: {} };
  }
  step(a) {
    this.x += a === 1 ? 1 : -1;
    const done = Math.abs(this.x) >= 5;
    return { obs: new Float32Array([this.x]), reward: this.x >= 5 ? 1 : 0, terminated: done, truncated: false, info: {} };
  }
  renderState() { return { kind: 'walk', x: this.x }; }
  getState() { return { x: this.x, rng: this.seedStream(undefined).state() }; }
  setState(s) { this.x = s.x; }
}
`;

const MODULES: Record<string, string> = {
  'throws.mjs': `throw new Error('cannot reach the simulator');\n`,
  'nothing.mjs': `export const answer = 42;\n`,
  'twice.mjs': `${PLAIN_ENV}register({ id: 'Walk-v0', description: 'walk', create: () => new Walk() });\nregister({ id: 'Walk-v0', description: 'walk again', create: () => new Walk() });\n`,
  'builtin-id.mjs': `${PLAIN_ENV}register({ id: 'CartPole-v1', description: 'not cartpole', create: () => new Walk() });\n`,
  'broken.mjs': `${PLAIN_ENV}class Broken extends Walk {
  step(a) { const r = super.step(a); return { ...r, obs: new Float64Array([this.x * 3]), reward: undefined }; }
}
register({ id: 'Broken-v0', description: 'broken', create: () => new Broken() });\n`,
  'plain.mjs': `${PLAIN_ENV}register({ id: 'Walk-v0', description: 'a walk on a line', maxEpisodeSteps: 50, create: () => new Walk() });\n`,
};
for (const [name, text] of Object.entries(MODULES)) fs.writeFileSync(path.join(dir, name), text);

const TINY = ['--steps', '400', '--envs', '2', '--eval-every', '400', '--eval-episodes', '1', '--record-episodes', '1', '--checkpoint-every', '400', '--backend', 'wasm', '--progress', 'none'];

describe('--env-module', () => {
  it('refuses a bad module with one line (one per contract breach), a hint and exit 2, writing nothing', async () => {
    const cases: [string, RegExp][] = [
      ['throws.mjs', /^error: --env-module .*throws\.mjs threw on import: Error: cannot reach the simulator$/],
      ['nothing.mjs', /^error: --env-module .*nothing\.mjs registered no env: its import must call register\(/],
      ['twice.mjs', /^error: --env-module .*twice\.mjs: env id 'Walk-v0' is already registered$/],
      ['builtin-id.mjs', /^error: --env-module .*builtin-id\.mjs: env id 'CartPole-v1' is already registered$/],
      ['broken.mjs', /^error: --env-module .*broken\.mjs: Broken-v0 breaks the env contract \(\d+ errors?\):$/],
      ['missing.mjs', /^error: --env-module .*missing\.mjs: no such file/],
    ];
    const results = await Promise.all(cases.map(([file]) => runCli(['train', 'ppo', 'cartpole', '--env-module', path.join(dir, file), '--out', path.join(dir, `out-${file}`), ...TINY])));
    results.forEach((r, i) => {
      const [file, first] = cases[i];
      const lines = r.stderr.trim().split('\n');
      expect(r.code, `${file}: ${r.stderr}`).toBe(2);
      expect(lines[0], file).toMatch(first);
      expect(lines.at(-1), file).toMatch(/^hint: /);
      expect(r.stderr, file).not.toMatch(/\n\s+at /); // no stack trace
      expect(fs.existsSync(path.join(dir, `out-${file}`)), file).toBe(false);
      if (file === 'broken.mjs') {
        const breaches = lines.slice(1, -1);
        expect(breaches.length).toBeGreaterThanOrEqual(1);
        for (const b of breaches) expect(b).toMatch(/^ {2}- /);
        expect(r.stderr).toMatch(/must be a Float32Array for a Box space|reward must be a finite number/);
      } else {
        expect(lines, file).toHaveLength(2);
      }
    });
  });

  it('trains a correct env that skips hardening, printing the grouped warnings first; record and hyperparams know the env', async () => {
    const mod = path.join(dir, 'plain.mjs');
    const out = path.join(dir, 'runs');
    const r = await runCli(['train', 'dqn', 'Walk-v0', '--env-module', mod, '--out', out, '--set', 'learningStarts=100', ...TINY]);
    expect(r.code, r.stderr).toBe(0);
    const warning = r.stderr.slice(r.stderr.indexOf('warning: Walk-v0'));
    expect(warning, r.stderr).toMatch(/^warning: Walk-v0 \(--env-module .*plain\.mjs\) trains, but the env checker suggests:\n/);
    const items = warning.split('\n').slice(1).filter((l) => l.startsWith('  - '));
    // Many invalid actions and malformed snapshots, a handful of lines.
    expect(items.length).toBeGreaterThanOrEqual(2);
    expect(items.length).toBeLessThanOrEqual(4);
    expect(items.filter((l) => /accepted invalid actions/.test(l))).toHaveLength(1);
    expect(items.filter((l) => /setState\(\) accepted malformed snapshots/.test(l))).toHaveLength(1);
    expect(r.stderr).toContain("no preset for Walk-v0: using dqn's defaults (npm run hyperparams -- dqn --env Walk-v0)");
    const runDir = r.stdout.trim().split('\n').at(-1)!;
    expect(fs.existsSync(path.join(runDir, 'config.json'))).toBe(true);

    const [rec, hp, noModule] = await Promise.all([
      runCli(['record', '--run', runDir, '--episodes', '1', '--backend', 'wasm', '--env-module', mod]),
      runCli(['hyperparams', 'ppo', '--env', 'Walk-v0', '--env-module', mod]),
      runCli(['hyperparams', 'ppo', '--env', 'Walk-v0']),
    ]);
    expect(rec.code, rec.stderr).toBe(0);
    expect(rec.stdout.trim()).toMatch(/episodes[/\\]record-\d+-seed0[/\\].*\.json/);
    expect(hp.code, hp.stderr).toBe(0);
    expect(hp.stdout).toContain("No preset for Walk-v0: ppo's defaults for new envs apply:\n  numSteps=512\n  numMinibatches=32\n  updateEpochs=10\n  normalizeObs=true");
    expect(noModule.code).toBe(2);
    expect(noModule.stderr).toMatch(/^error: unknown env 'Walk-v0'/);
  });

  it('in-process: the guide\'s example registers CatchBall-v0 into this registry, passes the checker cleanly, and is recorded by path and sha256', async () => {
    const file = path.join(ROOT, 'examples', 'custom-env', 'catch.mjs');
    const warnings: string[] = [];
    const [ref] = await loadEnvModules([path.relative(process.cwd(), file)], process.cwd(), { warn: (w) => warnings.push(w) });
    expect(ref).toEqual({ path: file, sha256: crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'), envIds: ['CatchBall-v0'] });
    expect(warnings).toEqual([]);
    expect(checkEnv(make('CatchBall-v0'))).toEqual([]);
    // Loading it again is a no-op (an ES module is evaluated once).
    expect(await loadEnvModules([file])).toEqual([ref]);
    expect(loadedEnvModules()).toEqual([ref]);
  });

  it('global flags may come before the command word', async () => {
    const file = path.join(ROOT, 'examples', 'custom-env', 'catch.mjs');
    const errors: string[] = [];
    const log = console.log;
    const out: string[] = [];
    console.log = (...a: unknown[]) => void out.push(a.join(' '));
    try {
      expect(await run(['--env-module', file, '--debug', 'hyperparams', 'ppo', '--env', 'CatchBall-v0'], (t) => errors.push(t))).toBe(0);
    } finally {
      console.log = log;
    }
    expect(errors).toEqual([]);
    expect(out.join('\n')).toContain("No preset for CatchBall-v0: ppo's defaults for new envs apply:");
    expect(await run(['--debug', 'trian'], (t) => errors.push(t))).toBe(2);
    expect(errors.join('\n')).toMatch(/unknown command 'trian' \(did you mean train\?\)/);
  });

  it('--env-module needs a path', async () => {
    const r = await runCli(['train', 'ppo', '--env-module']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --env-module needs a path, e\.g\. --env-module \.\/my-env\.mjs\nhint: /);
  });
});


