/**
 * Messages name the command the user runs: `npm run <command> -- …` inside tsgym's source tree (where the npm
 * scripts are the CLI) and `npx tsgym <command> …` from the built package (where only the bin exists).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_STYLE, commandLine, commandWords } from '../core/command-line.js';
import { COMMANDS } from '../experiments/cli.js';
import { noPresetNote } from '../experiments/presets.js';
import { ROOT, runCli } from './helpers/cli.js';

describe('commandLine', () => {
  it('writes the npm script form from the source tree and the bin form from the package', () => {
    expect(commandLine('train', '--resume runs/x', 'npm-script')).toBe('npm run train -- --resume runs/x');
    expect(commandLine('train', '--resume runs/x', 'bin')).toBe('npx tsgym train --resume runs/x');
    expect(commandLine('view', '', 'npm-script')).toBe('npm run view');
    expect(commandLine('view', '', 'bin')).toBe('npx tsgym view');
    expect(commandWords('compare', ['--env', 'cartpole'], 'npm-script')).toEqual(['npm', 'run', 'compare', '--', '--env', 'cartpole']);
    expect(commandWords('compare', ['--env', 'cartpole'], 'bin')).toEqual(['npx', 'tsgym', 'compare', '--env', 'cartpole']);
  });

  it('runs from the sources here (.ts), so messages say npm run', () => {
    expect(COMMAND_STYLE).toBe('npm-script');
    expect(noPresetNote('ppo', 'pendulum')).toContain('(npm run hyperparams -- ppo --env Pendulum-v1)');
  });

  it('every CLI command has the npm script of the same name that the source-tree form names', () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const command of COMMANDS) expect(scripts[command], `npm script '${command}'`).toBe(`node --import tsx experiments/cli.ts ${command}`);
  });

  it('the same refusal names npm run from the source tree and npx tsgym from the compiled package', async () => {
    const fromSource = await runCli(['hyperparams']);
    expect(fromSource.code).toBe(2);
    expect(fromSource.stderr).toContain('e.g. npm run hyperparams -- dqn');

    // The compiled CLI (what the package's bin runs), built with the package's tsconfig into a scratch dir
    // inside the repo so it finds the same package.json and node_modules.
    const out = fs.mkdtempSync(path.join(ROOT, '.tmp-command-line-'));
    try {
      const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', out, '--declaration', 'false'], { cwd: ROOT, encoding: 'utf8' });
      expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
      const built = spawnSync(process.execPath, [path.join(out, 'experiments', 'bin.js'), 'hyperparams'], { cwd: ROOT, encoding: 'utf8' });
      expect(built.status).toBe(2);
      expect(built.stderr).toContain('e.g. npx tsgym hyperparams dqn');
      expect(built.stderr).toContain('see `npx tsgym hyperparams --help`');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 240_000);
});
