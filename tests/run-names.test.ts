/**
 * Env ids may be namespaced (`MinAtar/Breakout-v1`); run and comparison directory names must still be plain
 * names inside --out, so the `/` becomes `-` there (config.json keeps the real id).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { envIdInName, readRunConfig, runName } from '../experiments/run-format.js';
import { runCli } from './helpers/cli.js';

describe('run directory names', () => {
  it('write a namespaced env id without its slash', () => {
    expect(envIdInName('MinAtar/Breakout-v1')).toBe('MinAtar-Breakout-v1');
    expect(envIdInName('CartPole-v1')).toBe('CartPole-v1');
    expect(runName('MinAtar/Breakout-v1', 'dqn', 3, new Date(2026, 0, 2, 3, 4, 5))).toBe('MinAtar-Breakout-v1__dqn__seed3__20260102-030405');
  });

  it('train on a MinAtar env writes its run directly inside --out', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-names-'));
    const r = await runCli(['train', 'dqn', 'MinAtar/Breakout-v1', '--steps', '200', '--envs', '1', '--eval-every', '200', '--eval-episodes', '1', '--record-episodes', '0', '--checkpoint-every', '200', '--set', 'learningStarts=100', '--set', 'bufferSize=1000', '--set', 'batchSize=8', '--backend', 'wasm', '--progress', 'none', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const entries = fs.readdirSync(out);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatch(/^MinAtar-Breakout-v1__dqn__seed0__\d{8}-\d{6}$/);
    expect(readRunConfig(path.join(out, entries[0])).envId).toBe('MinAtar/Breakout-v1');
  }, 120_000);
});
