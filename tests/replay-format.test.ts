import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listEnvs, make } from '../envs/registry.js';
import { RecordEpisode, type RecordedEpisode } from '../envs/wrappers.js';
import { Rng } from '../core/rng.js';
import { parseReplay, REPLAY_FORMAT, REPLAY_VERSION, ReplayFormatError, replayFromEpisode, validateReplay, type ReplayFile } from '../formats/replay-format.js';
import { readReplayFile, writeReplayFile } from '../experiments/replay-io.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsgym-replay-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Records one episode of `envId` with seeded random actions (and fake Q-values on every other step). */
function recordRandom(envId: string, seed: number): RecordedEpisode {
  let episode: RecordedEpisode | undefined;
  const env = new RecordEpisode(make(envId), (ep) => (episode = ep));
  const rng = new Rng(`replay-test/${envId}/${seed}`);
  env.reset({ seed });
  const n = env.actionSpace.type === 'Discrete' ? env.actionSpace.n : 0;
  for (let t = 0; !episode; t++) {
    if (n && t % 2 === 0) env.annotate({ qValues: Float32Array.from({ length: n }, (_, i) => i * 0.5 + t) });
    env.step(env.actionSpace.sample(rng));
  }
  return episode;
}

function cartPoleReplay(): ReplayFile {
  return replayFromEpisode(recordRandom('CartPole-v1', 3), { agent: 'random', checkpointStep: 1200, actionSpace: { type: 'Discrete', n: 2, start: 0 }, label: 'test' });
}

describe('replayFromEpisode', () => {
  it('fills the header, moves extras.qValues / extras.probs into the step, and keeps the rest', () => {
    const ep = recordRandom('CartPole-v1', 5);
    ep.steps[1].extras = { probs: [0.25, 0.75], other: 'dropped' };
    const r = replayFromEpisode(ep, { agent: 'dqn', checkpointStep: 50, actionSpace: { type: 'Discrete', n: 2, start: 0 } });
    expect(r.format).toBe(REPLAY_FORMAT);
    expect(r.version).toBe(REPLAY_VERSION);
    expect(r.envId).toBe('CartPole-v1');
    expect(r.seed).toBe(5);
    expect(r.resetOptions).toBeNull();
    expect(r.agent).toEqual({ name: 'dqn', checkpointStep: 50 });
    expect(r.length).toBe(ep.steps.length);
    expect(r.steps[0].qValues).toEqual([0, 0.5]);
    expect(r.steps[1].probs).toEqual([0.25, 0.75]);
    expect(r.steps[1]).not.toHaveProperty('extras');
    expect(r.steps[1]).not.toHaveProperty('qValues');
    const last = ep.steps[ep.steps.length - 1];
    expect([r.terminated, r.truncated]).toEqual([last.terminated, last.truncated]);
    expect(r.return).toBe(ep.steps.reduce((a, s) => a + s.reward, 0));
    expect(() => validateReplay(JSON.parse(JSON.stringify(r)), 'x.json')).not.toThrow();
  });
});

describe('replay files: round trip', () => {
  it('writes and reads back a plain .json replay unchanged', async () => {
    const replay = cartPoleReplay();
    const path = join(dir, 'plain', 'episode-0.json');
    await writeReplayFile(path, replay);
    const bytes = await readFile(path);
    expect(bytes[0]).toBe('{'.charCodeAt(0));
    expect(await readReplayFile(path)).toEqual(JSON.parse(JSON.stringify(replay)));
    expect((await readdir(join(dir, 'plain'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes and reads back a gzipped .json.gz replay unchanged', async () => {
    const replay = cartPoleReplay();
    const path = join(dir, 'gz', 'episode-0.json.gz');
    await writeReplayFile(path, replay, { gzip: true });
    const bytes = await readFile(path);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    expect(await readReplayFile(path)).toEqual(JSON.parse(JSON.stringify(replay)));
  });

  it('reads gzip by its magic bytes whatever the name, and refuses a gzip flag that contradicts the extension', async () => {
    const replay = cartPoleReplay();
    await writeReplayFile(join(dir, 'm', 'a.json.gz'), replay);
    await writeFile(join(dir, 'm', 'renamed.json'), await readFile(join(dir, 'm', 'a.json.gz')));
    expect((await readReplayFile(join(dir, 'm', 'renamed.json'))).length).toBe(replay.length);
    await expect(writeReplayFile(join(dir, 'm', 'b.json'), replay, { gzip: true })).rejects.toThrow(/gzip is true but the name ends in \.json/);
    await expect(writeReplayFile(join(dir, 'm', 'b.txt'), replay)).rejects.toThrow(/must end in \.json or \.json\.gz/);
  });

  it('refuses to write an invalid replay, and leaves no file behind', async () => {
    const bad = { ...cartPoleReplay(), return: Number.NaN };
    const path = join(dir, 'bad', 'episode-0.json');
    await expect(writeReplayFile(path, bad)).rejects.toThrow(/episode-0\.json: return must be a finite number/);
    await expect(readFile(path)).rejects.toThrow(/ENOENT/);
  });

  it('overwrites atomically: a reader sees the old or the new file, and no temp files remain', async () => {
    const a = cartPoleReplay();
    const b = { ...a, label: 'second' };
    const path = join(dir, 'atomic', 'episode-0.json');
    await writeReplayFile(path, a);
    await Promise.all([writeReplayFile(path, b), writeReplayFile(path, b)]);
    expect((await readReplayFile(path)).label).toBe('second');
    expect(await readdir(join(dir, 'atomic'))).toEqual(['episode-0.json']);
  });
});

describe('replay files: validation', () => {
  const base = () => JSON.parse(JSON.stringify(cartPoleReplay())) as Record<string, any>;
  const file = 'runs/x/episodes/step-000001000/a.json';
  const cases: [string, (r: Record<string, any>) => void, RegExp][] = [
    ['a string reward', (r) => (r.steps[1].reward = 'abc'), /^runs\/x\/episodes\/step-000001000\/a\.json: steps\[1\]\.reward must be a finite number/],
    ['a null reward (NaN in JSON)', (r) => (r.steps[0].reward = null), /a\.json: steps\[0\]\.reward must be a finite number, got null/],
    ['an action outside the space', (r) => (r.steps[2].action = 2), /a\.json: steps\[2\]\.action must be an integer action in 0\.\.1/],
    ['a missing state', (r) => delete r.steps[0].state, /a\.json: steps\[0\]\.state must be a render state object.*field missing/],
    ['a state without kind', (r) => (r.initialState = { x: 1 }), /a\.json: initialState\.kind must be a non-empty string/],
    ['Q-values of the wrong length', (r) => (r.steps[0].qValues = [1, 2, 3]), /a\.json: steps\[0\]\.qValues must have one value per action \(2\), got 3/],
    ['a missing envId', (r) => delete r.envId, /a\.json: envId must be a non-empty string/],
    ['a bad seed', (r) => (r.seed = 1.5), /a\.json: seed must be an integer or null/],
    ['a bad agent', (r) => (r.agent = { name: 'x', checkpointStep: -1 }), /a\.json: agent\.checkpointStep must be a non-negative integer or null/],
    ['a bad action space', (r) => (r.actionSpace = { type: 'Tuple' }), /a\.json: actionSpace\.type must be 'Discrete' or 'Box'/],
    ['a wrong length', (r) => (r.length = r.length + 1), /a\.json: length \(\d+\) must equal the number of steps/],
    ['a wrong return', (r) => (r.return = r.return + 5), /a\.json: return \(\d+\) must equal the sum of the step rewards/],
    ['a non-boolean flag', (r) => (r.steps[0].terminated = 0), /a\.json: steps\[0\]\.terminated must be a boolean/],
    ['another format', (r) => (r.format = 'gym-video'), /a\.json: format must be 'tsgym-replay', got "gym-video"/],
    ['a bad version', (r) => (r.version = 'one'), /a\.json: version must be a positive integer/],
  ];
  for (const [name, mutate, message] of cases) {
    it(`names the file and the field for ${name}`, () => {
      const r = base();
      mutate(r);
      let err: unknown;
      try {
        validateReplay(r, file);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ReplayFormatError);
      expect((err as Error).message).toMatch(message);
      expect((err as ReplayFormatError).fileName).toBe(file);
    });
  }

  it('refuses a file from a newer tsgym with a clear message', () => {
    const r = { ...base(), version: 7 };
    expect(() => validateReplay(r, 'runs/y/e.json')).toThrow('runs/y/e.json: written by a newer tsgym (version 7); this viewer reads version 1');
  });

  it('reports text that is not JSON (a truncated file) with the file name', () => {
    const text = JSON.stringify(cartPoleReplay()).slice(0, 200);
    expect(() => parseReplay(text, 'cut.json')).toThrow(/^cut\.json: is not valid JSON/);
    expect(() => parseReplay('[1,2]', 'arr.json')).toThrow(/arr\.json: must hold a JSON object \(a tsgym replay\), got an array/);
  });

  it('reports a corrupt gzip file through readReplayFile', async () => {
    const gz = join(dir, 'corrupt.json.gz');
    await writeReplayFile(gz, cartPoleReplay());
    const bytes = await readFile(gz);
    await writeFile(gz, bytes.subarray(0, 40));
    await expect(readReplayFile(gz)).rejects.toThrow(/corrupt\.json\.gz: is gzipped but does not decompress/);
  });

  it('accepts a Box action space with infinite bounds written as null, and checks Box actions', () => {
    const r = base();
    r.actionSpace = { type: 'Box', shape: [1], low: [null], high: [null] };
    for (const s of r.steps) s.action = [0.5];
    expect(() => validateReplay(r, 'box.json')).not.toThrow();
    r.steps[3].action = [0.5, 1];
    expect(() => validateReplay(r, 'box.json')).toThrow(/box\.json: steps\[3\]\.action must be an array of 1 finite numbers/);
  });
});

describe('replays are faithful: the recorded seed and actions reproduce every recorded state', () => {
  const registered = listEnvs().map((r) => r.id);

  it('covers CartPole-v1 at least', () => {
    expect(registered).toContain('CartPole-v1');
  });

  for (const envId of registered) {
    it(`${envId}: re-stepping a fresh env matches the file, frame by frame`, async () => {
      for (const [i, seed] of [11, 12].entries()) {
        const ep = recordRandom(envId, seed);
        const replay = replayFromEpisode(ep, { agent: 'random', checkpointStep: null, actionSpace: make(envId).actionSpace.toJSON() });
        const path = join(dir, 'faithful', `${envId}-${seed}.json${i === 1 ? '.gz' : ''}`);
        await writeReplayFile(path, replay);
        const loaded = await readReplayFile(path);
        expect(loaded.seed).toBe(seed);
        expect(loaded.length).toBeGreaterThan(0);

        const env = make(loaded.envId, loaded.envOptions);
        env.reset({ seed: loaded.seed ?? undefined, options: loaded.resetOptions ?? undefined });
        // Compare in the JSON form: that is what the file can hold (and what the viewer draws).
        const asJson = (v: unknown) => JSON.parse(JSON.stringify(v));
        expect(asJson(env.renderState())).toEqual(loaded.initialState);
        let total = 0;
        loaded.steps.forEach((step, t) => {
          const action = Array.isArray(step.action) ? Float32Array.from(step.action) : step.action;
          const r = env.step(action);
          expect(asJson(env.renderState()), `${envId} seed ${seed}: state after step ${t}`).toEqual(step.state);
          expect(r.reward, `${envId} seed ${seed}: reward at step ${t}`).toBe(step.reward);
          expect([r.terminated, r.truncated]).toEqual([step.terminated, step.truncated]);
          total += r.reward;
        });
        expect(total).toBe(loaded.return);
        expect([loaded.terminated, loaded.truncated].some(Boolean)).toBe(true);
      }
    });
  }
});
