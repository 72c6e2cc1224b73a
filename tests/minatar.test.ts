/**
 * The MinAtar envs against trajectories recorded from MinAtar's own Python code (tests/fixtures/minatar/, see
 * record_minatar.py there): same seed, same actions ⇒ the same observation (hash of every frame, full frames
 * every 50 steps and at episode ends), reward and termination on every step, bit for bit. Also the env
 * contract (checker, vector env, snapshots) for all ten ids.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkEnv, make, makeVec, MINATAR_GAMES, MinAtarEnv, registration, type AnyEnv } from '../index.js';
import { TsgymError } from '../core/errors.js';

interface FixtureEpisode {
  resetHash: number;
  frames: Record<string, string>;
  actions: string;
  hashes: string;
  rewards: [number, number][];
  terminated: boolean;
}
interface FixtureRun {
  seed: number;
  minimalActionSet: boolean;
  stickyActionProb: number;
  difficultyRamping: boolean;
  steps: number;
  episodes: FixtureEpisode[];
}
interface Fixture {
  header: string;
  game: string;
  runs: FixtureRun[];
}

function loadFixture(game: string): Fixture {
  const path = fileURLToPath(new URL(`./fixtures/minatar/${game}.json`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as Fixture; // a missing fixture fails the test
}

/** 32-bit FNV-1a over the observation as bytes (0/1), in (y, x, c) order: the recorder's per-step hash. */
function fnv1a(obs: Float32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < obs.length; i++) h = Math.imul(h ^ obs[i], 0x01000193) >>> 0;
  return h;
}

/** numpy's packbits (most significant bit first), as hex. */
function packed(obs: Float32Array): string {
  let out = '';
  for (let i = 0; i < obs.length; i += 8) {
    let byte = 0;
    for (let k = 0; k < 8; k++) byte = (byte << 1) | (i + k < obs.length && obs[i + k] ? 1 : 0);
    out += byte.toString(16).padStart(2, '0');
  }
  return out;
}

function idFor(title: string, minimal: boolean): string {
  return `MinAtar/${title}-v${minimal ? 1 : 0}`;
}

/** Replays one recorded run; returns the number of steps compared and the first difference, if any. */
function replay(title: string, run: FixtureRun): { steps: number; mismatch: string | null } {
  const env = make(idFor(title, run.minimalActionSet), { stickyActionProb: run.stickyActionProb, difficultyRamping: run.difficultyRamping }, { maxEpisodeSteps: null });
  let steps = 0;
  for (let e = 0; e < run.episodes.length; e++) {
    const ep = run.episodes[e];
    const where = (t: number) => `run seed ${run.seed}, episode ${e}, step ${t}`;
    const { obs } = e === 0 ? env.reset({ seed: run.seed }) : env.reset();
    if (fnv1a(obs) !== ep.resetHash || packed(obs) !== ep.frames['0']) return { steps, mismatch: `${where(0)}: reset observation differs` };
    const rewards = new Map(ep.rewards);
    for (let t = 1; t <= ep.actions.length; t++) {
      const r = env.step(Number(ep.actions[t - 1]));
      steps++;
      const hash = parseInt(ep.hashes.slice((t - 1) * 8, t * 8), 16);
      if (fnv1a(r.obs) !== hash) return { steps, mismatch: `${where(t)}: observation differs` };
      const frame = ep.frames[String(t)];
      if (frame !== undefined && packed(r.obs) !== frame) return { steps, mismatch: `${where(t)}: full frame differs` };
      if (r.reward !== (rewards.get(t) ?? 0)) return { steps, mismatch: `${where(t)}: reward ${r.reward}, MinAtar ${rewards.get(t) ?? 0}` };
      const terminal = ep.terminated && t === ep.actions.length;
      if (r.terminated !== terminal || r.truncated) return { steps, mismatch: `${where(t)}: terminated ${r.terminated}, MinAtar ${terminal}` };
    }
  }
  return { steps, mismatch: null };
}

describe('MinAtar games vs MinAtar trajectories', () => {
  for (const game of MINATAR_GAMES) {
    describe(game.title, () => {
      const fx = loadFixture(game.name);

      it('the fixture has several seeds, both action sets, other options, and thousands of steps', () => {
        expect(fx.game).toBe(game.name);
        expect(fx.header).toContain('4241f24685622cfb52f843cab9bbcf385a53484a');
        expect(new Set(fx.runs.map((r) => r.seed)).size).toBeGreaterThanOrEqual(4);
        expect(fx.runs.some((r) => r.seed > 2 ** 32)).toBe(true);
        expect(fx.runs.some((r) => r.minimalActionSet)).toBe(true);
        expect(fx.runs.some((r) => !r.difficultyRamping && r.stickyActionProb !== 0.1)).toBe(true);
        expect(fx.runs.reduce((n, r) => n + r.steps, 0)).toBeGreaterThanOrEqual(7500);
        expect(fx.runs.flatMap((r) => r.episodes).filter((e) => e.terminated).length).toBeGreaterThanOrEqual(5);
        expect(fx.runs.flatMap((r) => r.episodes).some((e) => e.rewards.length > 0)).toBe(true);
      });

      for (const run of fx.runs) {
        const what = `${idFor(game.title, run.minimalActionSet)}, seed ${run.seed}, sticky ${run.stickyActionProb}, ramping ${run.difficultyRamping}`;
        it(`${what}: ${run.steps} steps in ${run.episodes.length} episodes, bit for bit`, () => {
          const { steps, mismatch } = replay(game.title, run);
          expect(mismatch).toBeNull();
          expect(steps).toBe(run.steps);
        });
      }
    });
  }
});

describe('MinAtar envs keep the env contract', () => {
  const ids = MINATAR_GAMES.flatMap((g) => [idFor(g.title, false), idFor(g.title, true)]);

  it('registers ten ids with the documented spaces and time limit', () => {
    expect(ids.map((id) => registration(id).id)).toEqual(ids);
    const channels: Record<string, number> = { Asterix: 4, Breakout: 4, Freeway: 7, Seaquest: 10, SpaceInvaders: 6 };
    const minimal: Record<string, number> = { Asterix: 5, Breakout: 3, Freeway: 3, Seaquest: 6, SpaceInvaders: 4 };
    for (const g of MINATAR_GAMES) {
      const v0 = make(idFor(g.title, false));
      const v1 = make(idFor(g.title, true));
      expect(v0.observationSpace.toJSON()).toMatchObject({ type: 'Box', shape: [10, 10, channels[g.title]] });
      expect(v0.actionSpace.toString()).toBe('Discrete(6)');
      expect(v1.actionSpace.toString()).toBe(`Discrete(${minimal[g.title]})`);
      expect(v0.spec?.maxEpisodeSteps).toBe(10_000);
    }
  });

  for (const id of ids) {
    it(`${id} passes the env checker`, () => {
      checkEnv(make(id), { steps: 600 });
    });
  }

  it('makeVec steps the same episodes as single envs with the same seeds', () => {
    const vec = makeVec('MinAtar/Seaquest-v0', 3);
    const singles: AnyEnv[] = [0, 1, 2].map(() => make('MinAtar/Seaquest-v0'));
    vec.reset({ seed: 40 });
    const obs = singles.map((e, i) => e.reset({ seed: 40 + i }).obs);
    const size = 10 * 10 * 10;
    for (let i = 0; i < 3; i++) expect(Array.from(vec.obs.subarray(i * size, (i + 1) * size))).toEqual(Array.from(obs[i]));
    for (let t = 0; t < 400; t++) {
      const actions = [t % 6, (t * 7) % 6, (t * 5 + 1) % 6];
      vec.step(actions);
      for (let i = 0; i < 3; i++) {
        const r = singles[i].step(actions[i]);
        expect(vec.rewards[i]).toBe(r.reward);
        expect(vec.terminated[i]).toBe(r.terminated ? 1 : 0);
        const o = r.terminated || r.truncated ? singles[i].reset().obs : r.obs;
        if (r.terminated) expect(Array.from(vec.finalObs.subarray(i * size, (i + 1) * size))).toEqual(Array.from(r.obs));
        expect(Array.from(vec.obs.subarray(i * size, (i + 1) * size))).toEqual(Array.from(o));
      }
    }
  });

  it('a snapshot taken mid-episode resumes the same trajectory (game, stream and sticky action)', () => {
    for (const g of MINATAR_GAMES) {
      const env = make(idFor(g.title, false)).unwrapped as MinAtarEnv;
      env.reset({ seed: 9 });
      for (let t = 0; t < 120 && !env.game.terminal; t++) env.step((t * 5) % 6);
      const snap = JSON.stringify(env.getState());
      const future = () => Array.from({ length: 60 }, (_, t) => env.step((t * 11) % 6)).map((r) => [fnv1a(r.obs), r.reward, r.terminated]);
      const a = future();
      env.setState(JSON.parse(snap));
      expect(future()).toEqual(a);
    }
  });

  it('refuses bad options and seeds with one clear error', () => {
    expect(() => make('MinAtar/Breakout-v0', { stickyActionProb: 1.5 })).toThrow("MinAtar/Breakout: option 'stickyActionProb' must be between 0 and 1, got 1.5");
    expect(() => make('MinAtar/Breakout-v0', { difficultyRamping: 'yes' })).toThrow(/difficultyRamping/);
    expect(() => make('MinAtar/Breakout-v0', { sticky: 0.1 })).toThrow(/unknown option 'sticky'/);
    expect(() => make('MinAtar/Breakout-v0').reset({ seed: -1 })).toThrow(TsgymError);
    expect(() => make('MinAtar/Breakout-v0').reset({ seed: 2 ** 53 })).toThrow(/2\^53/);
    expect(() => make('MinAtar/Breakout-v1').step(0)).toThrow(/reset/);
  });

  it('renderState names the channels and marks each cell with its channels', () => {
    const env = make('MinAtar/Breakout-v0');
    const { obs } = env.reset({ seed: 3 });
    const s = env.renderState() as unknown as { kind: string; game: string; channels: string[]; cells: number[] };
    expect(s).toMatchObject({ kind: 'minatar', game: 'breakout', channels: ['paddle', 'ball', 'trail', 'brick'] });
    for (let i = 0; i < 100; i++) for (let c = 0; c < 4; c++) expect((s.cells[i] >> c) & 1).toBe(obs[i * 4 + c]);
  });
});
