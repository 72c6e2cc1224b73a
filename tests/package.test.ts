/**
 * `import { make } from 'tsgym'` works from another package: the exports map points at the built JS and its
 * type declarations (npm's `prepare` builds them on install; this test builds them too).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './helpers/cli.js';

describe('the tsgym package', () => {
  it('is importable, with types, from a scratch package, and trains from the built files', () => {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'pipe' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-consumer-'));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'tsgym'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
    const program = `import { make, makeVec, checkEnv } from 'tsgym';
const env = make('CartPole-v1');
const { obs } = env.reset({ seed: 1 });
const r = env.step(1);
checkEnv(make('cartpole'));
const vec = makeVec('CartPole-v1', 3);
vec.reset({ seed: 1 });
const n: number = obs.length + r.reward + vec.numEnvs;
console.log(JSON.stringify({ n, first: Array.from(obs) }));
`;
    fs.writeFileSync(path.join(dir, 'main.ts'), program);
    fs.writeFileSync(path.join(dir, 'main.mjs'), program.replace('const n: number', 'const n'));
    // Types resolve through the exports map.
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['main.ts'] }));
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir, stdio: 'pipe' });
    // And the JS runs.
    const out = JSON.parse(execFileSync(process.execPath, ['main.mjs'], { cwd: dir, encoding: 'utf8' }));
    expect(out.n).toBe(4 + 1 + 3);
    expect(out.first).toHaveLength(4);
    // The library's training entry point runs from the built package too (it finds tsgym's own package.json).
    const trainer = `import { train } from 'tsgym';
const r = await train({ agent: 'dqn', env: 'CartPole-v1', seed: 1, totalSteps: 200, numEnvs: 2, evalEvery: 200, evalEpisodes: 1, recordEpisodes: 0, checkpointEvery: 200, stopWhenSolved: false, logEvery: 100, envKwargs: {}, hyperparams: { learningStarts: 50 }, backend: 'wasm', outDir: 'runs', progress: 'none', verbose: false });
console.log(JSON.stringify({ status: r.summary.status, version: r.config.tsgymVersion }));
`;
    fs.writeFileSync(path.join(dir, 'train.mjs'), trainer);
    const trained = JSON.parse(execFileSync(process.execPath, ['train.mjs'], { cwd: dir, encoding: 'utf8' }));
    expect(trained).toEqual({ status: 'finished', version: JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version });
  });
});
