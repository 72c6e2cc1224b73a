/**
 * Fault injection against the real CLI (`node --import tsx experiments/cli.ts`, as a user runs it): damaged
 * checkpoints and logs, two processes on one run, a full disk, resume flags. Every fault must be refused
 * with one line naming the file (exit 2, no stack trace) and must not lose or corrupt the run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli, startCli, type CliResult } from './helpers/cli.js';
import { registerAgent } from '../agents/registry.js';
import { train } from '../experiments/harness/trainer.js';

/** An agent whose constructor fails (after its hyperparameters were accepted). */
registerAgent({
  name: 'test-unbuildable',
  description: 'test only',
  hyperparams: { params: {} },
  actionSpaces: ['Discrete'],
  create: () => {
    throw new Error('cannot build this agent');
  },
});

const TINY = [
  'train', 'dqn', 'cartpole', '--steps', '600', '--envs', '2', '--checkpoint-every', '200', '--eval-every', '300', '--eval-episodes', '2',
  '--record-episodes', '0', '--no-stop-when-solved', '--set', 'learningStarts=100', '--set', 'bufferSize=1000', '--backend', 'wasm', '--progress', 'none',
];

let root: string;
let base: string;
const latest = (run: string) => path.join(run, 'checkpoints', 'step-000000600');

/** A fresh copy of the finished base run. */
function copyRun(name: string): string {
  const dir = path.join(root, name);
  fs.cpSync(base, dir, { recursive: true });
  return dir;
}

/** Runs `jobs` with at most `limit` CLI processes at a time (2 cores shared with other tests). */
async function pool<T>(jobs: (() => Promise<T>)[], limit = 3): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]();
      }
    }),
  );
  return out;
}

/** A refusal: exit 2, one `error:` line (plus the CLI's hint line), no stack trace. */
function expectRefused(r: CliResult, what: string, message: RegExp): void {
  expect(r.code, `${what}: ${r.stderr}`).toBe(2);
  const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
  expect(errorLines, `${what}: ${r.stderr}`).toHaveLength(1);
  expect(errorLines[0], what).toMatch(message);
  expect(r.stderr, what).not.toMatch(/^\s+at /m);
}

function garble(file: string): void {
  const data = fs.readFileSync(file);
  const i = Math.floor(data.length / 2);
  data[i] = data[i] === 0x41 ? 0x42 : 0x41; // still the same length: only the checksum can tell
  fs.writeFileSync(file, data);
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-faults-'));
  const r = await runCli([...TINY, '--out', root, '--run-name', 'base']);
  expect(r.code, r.stderr).toBe(0);
  base = path.join(root, 'base');
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('fault injection (real CLI processes)', () => {
  it('refuses every kind of damaged checkpoint file by name, and says how to resume from the intact one', async () => {
    // One file of each kind: the manifest, the JSON state, network weights, a replay-buffer array; and the pointer.
    const kinds = ['manifest.json', 'state.json', 'online.params.bin', 'replay.obs.bin'];
    const cases: { name: string; damage: (run: string) => void; message: RegExp }[] = [];
    for (const file of kinds) {
      cases.push({
        name: `truncated ${file}`,
        damage: (run) => fs.truncateSync(path.join(latest(run), file), Math.floor(fs.statSync(path.join(latest(run), file)).size / 3)),
        message: new RegExp(`${file.replace('.', '\\.')} (is \\d+ bytes, the manifest says|is not valid JSON)`),
      });
      cases.push({
        name: `garbled ${file}`,
        damage: (run) => garble(path.join(latest(run), file)),
        message: new RegExp(`${file.replace('.', '\\.')} (does not match its (own )?checksum|is not valid JSON)`),
      });
    }
    const results = await pool(
      cases.map((c, k) => async () => {
        const run = copyRun(`ck${k}`);
        c.damage(run);
        return { c, run, r: await runCli(['train', '--resume', run, '--progress', 'none']) };
      }),
    );
    for (const { c, run, r } of results) {
      expectRefused(r, c.name, c.message);
      expect(r.stderr, c.name).toContain(`--resume ${run} --from-checkpoint 400`);
      // Nothing was written: the logs still end where the damaged checkpoint left them.
      expect(fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8'), c.name).toBe(fs.readFileSync(path.join(base, 'metrics.jsonl'), 'utf8'));
      expect(fs.existsSync(path.join(run, 'lock.json')), c.name).toBe(false);
    }
    // Following the advice resumes from step 400 and reproduces the undamaged run exactly.
    const { run } = results[results.length - 1];
    const resumed = await runCli(['train', '--resume', run, '--from-checkpoint', '400', '--progress', 'none']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming .* from step 400/);
    expect(fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8')).toBe(fs.readFileSync(path.join(base, 'metrics.jsonl'), 'utf8'));
    expect(fs.readFileSync(path.join(latest(run), 'online.params.bin')).equals(fs.readFileSync(path.join(latest(base), 'online.params.bin')))).toBe(true);
  });

  it('refuses a metrics.jsonl that was shortened, altered or deleted since the checkpoint (never pads or restarts it)', async () => {
    const cases: [string, (file: string) => void, RegExp][] = [
      ['shortened', (f) => fs.truncateSync(f, 100), /metrics\.jsonl is 100 bytes, shorter than the \d+ bytes checkpoint step-000000600 recorded/],
      ['altered', (f) => fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('"episode"', '"epizode"')), /metrics\.jsonl: its first \d+ bytes differ/],
      ['deleted', (f) => fs.rmSync(f), /metrics\.jsonl is missing, but checkpoint step-000000600 recorded \d+ bytes/],
    ];
    const results = await pool(
      cases.map(([name, damage], k) => async () => {
        const run = copyRun(`log${k}`);
        damage(path.join(run, 'metrics.jsonl'));
        const before = fs.existsSync(path.join(run, 'metrics.jsonl')) ? fs.readFileSync(path.join(run, 'metrics.jsonl')) : null;
        return { name, run, before, r: await runCli(['train', '--resume', run, '--progress', 'none']) };
      }),
    );
    results.forEach(({ name, run, before, r }, k) => {
      expectRefused(r, `${name} metrics`, cases[k][2]);
      const after = fs.existsSync(path.join(run, 'metrics.jsonl')) ? fs.readFileSync(path.join(run, 'metrics.jsonl')) : null;
      expect(after === null ? null : after.equals(before!), name).toBe(before === null ? null : true);
    });
  });

  it('one process per run: a second train/resume is refused while the first lives; a dead holder is reclaimed', async () => {
    const run = copyRun('locked');
    // A resume that extends the run and writes its checkpoint very slowly (2 s per file), so it is surely alive
    // while we knock; it is killed before that checkpoint completes.
    const first = startCli(['train', '--resume', run, '--steps', '1200', '--progress', 'none'], { TSGYM_CHECKPOINT_WRITE_DELAY_MS: '2000' });
    const lockFile = path.join(run, 'lock.json');
    const checkpoints = path.join(run, 'checkpoints');
    await waitFor(() => fs.readdirSync(checkpoints).some((d) => d.startsWith('.tmp-step-000000800')), first.done); // training, config rewritten
    const holder = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
    expect(holder).toMatchObject({ pid: first.child.pid, host: os.hostname(), command: 'resume' });
    const [second, record] = await Promise.all([
      runCli(['train', '--resume', run, '--progress', 'none']),
      runCli(['record', '--run', run, '--episodes', '1', '--backend', 'wasm']),
    ]);
    expectRefused(second, 'second resume', new RegExp(`in use by pid ${first.child.pid} on ${os.hostname()}`));
    expectRefused(record, 'record into a training run', new RegExp(`in use by pid ${first.child.pid}`));
    first.child.kill('SIGKILL');
    await first.done;
    expect(fs.existsSync(lockFile)).toBe(true); // SIGKILL leaves it behind…
    const after = await runCli(['train', '--resume', run, '--progress', 'none']);
    expect(after.code, after.stderr).toBe(0); // …and the next resume reclaims it
    expect(after.stderr).toMatch(new RegExp(`reclaiming the stale lock .* \\(pid ${first.child.pid} on .* is no longer running\\)`));
    expect(JSON.parse(fs.readFileSync(path.join(run, 'summary.json'), 'utf8'))).toMatchObject({ status: 'finished', steps: 1200 });
    expect(fs.existsSync(lockFile)).toBe(false);
    // A lock from another host cannot be checked: refused, unless the caller takes it over (a queue's new worker).
    fs.writeFileSync(lockFile, JSON.stringify({ pid: 1, host: 'worker-7', startedAt: '2026-01-01T00:00:00.000Z', command: 'resume' }));
    expectRefused(await runCli(['train', '--resume', run, '--progress', 'none']), 'foreign lock', /locked by pid 1 on host worker-7 .*--take-over-lock/);
    const taken = await runCli(['train', '--resume', run, '--take-over-lock', '--progress', 'none']);
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stderr).toMatch(/taking over the lock .* from pid 1 on worker-7/);
  });

  it('two train processes with the same --out and run name never share a directory', async () => {
    const out = path.join(root, 'same-out');
    const args = [...TINY.slice(0, 3), '--steps', '100', '--envs', '2', '--checkpoint-every', '100', '--eval-every', '100', '--eval-episodes', '1', ...TINY.slice(13), '--out', out, '--run-name', 'twin'];
    const [a, b] = await Promise.all([runCli(args), runCli(args)]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect([a.stdout.trim(), b.stdout.trim()].sort()).toEqual([path.join(out, 'twin'), path.join(out, 'twin-2')]);
    for (const dir of ['twin', 'twin-2']) expect(fs.readFileSync(path.join(out, dir, 'metrics.jsonl'), 'utf8')).toBe(fs.readFileSync(path.join(out, 'twin', 'metrics.jsonl'), 'utf8'));
  });

  it('a full disk: one line naming the path and ENOSPC, status failed, no temp files left', async () => {
    const disk = path.join(root, 'disk');
    fs.mkdirSync(disk);
    let mounted = false;
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=700k', 'tmpfs', disk], { stdio: 'ignore' });
      mounted = true;
    } catch {
      // not root / no CAP_SYS_ADMIN: inject the failure into checkpoint blob writes instead
    }
    try {
      // Big networks (4 copies of ~70k float32 parameters per checkpoint) overflow 700 kB at the first checkpoint.
      const args = [...TINY, '--set', 'hidden=[256,256]', '--out', disk, '--run-name', 'full'];
      const r = await runCli(args, mounted ? {} : { TSGYM_TEST_FAIL_WRITES_MATCHING: 'params.bin' });
      expectRefused(r, 'full disk', new RegExp(`cannot (write|create|append to|replace) ${disk.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/full/\\S+: ENOSPC \\(no space left on the device\\)`));
      const run = path.join(disk, 'full');
      const summary = JSON.parse(fs.readFileSync(path.join(run, 'summary.json'), 'utf8'));
      expect(summary.status).toBe('failed');
      expect(summary.message).toMatch(/ENOSPC/);
      const leftovers = listDeep(run).filter((f) => /(^|\/)\.tmp-step-|\.tmp$/.test(f));
      expect(leftovers).toEqual([]);
      expect(fs.existsSync(path.join(run, 'lock.json'))).toBe(false);
      if (mounted) {
        // The same disk, now read-only: resuming is refused with one line naming the path and EROFS.
        execFileSync('mount', ['-o', 'remount,ro', disk]);
        const ro = await runCli(['train', '--resume', run, '--progress', 'none']);
        expectRefused(ro, 'read-only disk', /cannot create the lock \S+\/lock\.json: EROFS \(the file system is read-only\)/);
      }
    } finally {
      if (mounted) execFileSync('umount', [disk]);
    }
  });

  it('--resume refuses flags that conflict with the run (listing them), accepts equal ones, and --steps N extends the budget', async () => {
    const run = copyRun('flags');
    // A flag equal to the run's own value is not a conflict: pass the run's nStep back.
    const { nStep } = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')).hyperparams as { nStep: number };
    const conflict = await runCli(['train', '--resume', run, '--seed', '3', '--envs', '4', '--set', 'lr=0.5', '--set', `nStep=${nStep}`, '--progress', 'none']);
    expectRefused(conflict, 'conflicting flags', /these flags conflict with the run's config\.json: --seed 3 \(the run has 0\); --envs 4 \(the run has 2\); --set lr=0\.5 \(the run has [\d.]+\)/);
    expect(conflict.stderr).not.toMatch(/nStep/); // equal to the run's value: not a conflict
    const shorter = await runCli(['train', '--resume', run, '--steps', '400', '--progress', 'none']);
    expectRefused(shorter, 'a smaller budget', /--steps 400 \(the run has 600\)/);

    const extended = await runCli(['train', '--resume', run, '--steps', '1000', '--seed', '0', '--envs', '2', '--set', 'bufferSize=1000', '--progress', 'none']);
    expect(extended.code, extended.stderr).toBe(0);
    expect(extended.stderr).toMatch(/resuming .* from step 600/);
    const config = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
    expect(config.totalSteps).toBe(1000);
    expect(config.budgetExtensions).toHaveLength(1);
    expect(JSON.parse(fs.readFileSync(path.join(run, 'summary.json'), 'utf8'))).toMatchObject({ status: 'finished', steps: 1000 });
    const evals = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.kind === 'eval').map((m) => m.step);
    expect(evals).toEqual([300, 600, 900, 1000]);
    // A resume checkpoints on the schedule, not one vector step after the step it resumed from.
    expect(fs.readdirSync(path.join(run, 'checkpoints')).filter((d) => d.startsWith('step-'))).toEqual(['step-000000800', 'step-000001000']);
  });
});

describe('no orphan run directory', () => {
  it('an agent whose constructor throws leaves no run directory behind', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-orphan-'));
    const run = train({
      agent: 'test-unbuildable', env: 'cartpole', seed: 0, totalSteps: 100, numEnvs: 1, evalEvery: 100, evalEpisodes: 1, recordEpisodes: 0,
      checkpointEvery: 100, stopWhenSolved: false, logEvery: 100, envKwargs: {}, hyperparams: {}, backend: 'wasm', outDir: out, progress: 'none', verbose: false,
    });
    await expect(run).rejects.toThrow(/cannot build this agent/);
    expect(fs.readdirSync(out)).toEqual([]);
    fs.rmSync(out, { recursive: true, force: true });
  });
});

function listDeep(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' });
}

async function waitFor(cond: () => boolean, ended: Promise<CliResult>): Promise<void> {
  let done = false;
  void ended.then(() => (done = true));
  for (;;) {
    if (cond()) return;
    if (done) throw new Error('the process ended before the condition held');
    await new Promise((r) => setTimeout(r, 20));
  }
}
