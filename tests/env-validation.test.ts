/**
 * Bad input to envs loses nothing: a vector `step` with one invalid action steps no env; `setState` refuses a
 * malformed snapshot or another env's, names the env, and leaves the env as it was; `makeVec` checks `n` the
 * same way for every env.
 */
import { describe, expect, it } from 'vitest';
import { listEnvs, make, makeVec } from '../envs/registry.js';
import { TsgymError } from '../core/errors.js';
import type { VectorEnv } from '../envs/vector.js';
import { CartPoleEnv } from '../envs/cartpole.js';
import { checkEnv, findEnvProblems, inspectEnv } from '../envs/checker.js';

/** A valid action row for env i of a vector env (Discrete: 0; Box: zeros). */
function validActions(vec: VectorEnv): Float32Array {
  return new Float32Array(vec.numEnvs * vec.actionSize);
}

const snapshot = (vec: VectorEnv) => JSON.stringify(vec.getState());

describe('vector step validates every action before stepping any env', () => {
  for (const reg of listEnvs()) {
    for (const batched of [true, false]) {
      it(`${reg.id}${batched ? '' : ' (SyncVectorEnv)'}`, () => {
        const vec = makeVec(reg.id, 3, {}, { batched });
        vec.reset({ seed: 5 });
        for (let t = 0; t < 3; t++) vec.step(validActions(vec));
        const before = snapshot(vec);
        const obsBefore = Array.from(vec.obs);
        const bad = validActions(vec);
        // The last env's action is invalid: envs 0 and 1 must not have moved.
        if (vec.singleActionSpace.type === 'Discrete') bad[2] = vec.singleActionSpace.n + 3;
        else bad[2 * vec.actionSize] = Number.NaN;
        expect(() => vec.step(bad)).toThrow(/invalid action .*vector env index 2; no env was stepped/);
        expect(snapshot(vec)).toBe(before);
        expect(Array.from(vec.obs)).toEqual(obsBefore);
        vec.close();
      });
    }
  }
});

describe('setState checks what it is given', () => {
  it('single envs: wrong types, lengths, non-finite numbers and other envs\' states are refused, naming the env; the env is unchanged', () => {
    const cart = make('CartPole-v1');
    const lane = make('LaneKeeper-v0');
    const grid = make('GridWorld-4x4');
    const maze = make('GridWorld-Maze');
    for (const e of [cart, lane, grid, maze]) e.reset({ seed: 1 });
    cart.step(1);
    const good = cart.getState!() as { inner: { inner: Record<string, unknown>; own: unknown }; own: unknown };
    const withInner = (inner: Record<string, unknown>) => ({ ...good, inner: { ...good.inner, inner: { ...good.inner.inner, ...inner } } });
    const before = JSON.stringify(cart.getState!());
    const cases: [unknown, RegExp][] = [
      [null, /CartPole-v1: setState\(\) needs the \{inner, own\} snapshot/],
      [42, /CartPole-v1: setState\(\) needs the \{inner, own\} snapshot/],
      [withInner({ state: [0, 0, 0] }), /CartPole-v1: setState\(\): 'state' must be an array of 4 finite numbers, got 3 values/],
      [withInner({ state: [0, 0, Number.NaN, 0] }), /'state\[2\]' must be a finite number, got NaN/],
      [withInner({ state: '0,0,0,0' }), /'state' must be an array of 4 finite numbers/],
      [withInner({ lastAction: 7 }), /'lastAction' must be an integer in \[-1, 1\], got 7/],
      [withInner({ rng: { alea: { c: 1 } } }), /'rng' must be a random-stream state/],
      [{ ...good, own: 'sideways' }, /CartPole-v1: setState\(\): the episode state must be 'new', 'running' or 'ended'/],
      [{ ...good, inner: { ...good.inner, own: -3 } }, /time limit's step count must be an integer in \[0, 500\], got -3/],
      [lane.getState!(), /CartPole-v1: setState\(\) was given the state of a 'LaneKeeper' env, not of a 'CartPole' env/],
    ];
    for (const [snap, message] of cases) {
      expect(() => cart.setState!(snap), JSON.stringify(snap)?.slice(0, 80)).toThrow(TsgymError);
      expect(() => cart.setState!(snap), JSON.stringify(snap)?.slice(0, 80)).toThrow(message);
      expect(JSON.stringify(cart.getState!())).toBe(before);
    }
    expect(() => lane.setState!(cart.getState!())).toThrow(/LaneKeeper-v0: setState\(\) was given the state of a 'CartPole' env/);
    expect(() => grid.setState!(maze.getState!())).toThrow(/GridWorld-4x4: setState\(\) was given the state of layout 'Maze', not '4x4'/);
    expect(() => maze.setState!(cart.getState!())).toThrow(/GridWorld-Maze: .*'CartPole' env/);
    // A valid snapshot still restores exactly.
    const snap = JSON.parse(before);
    const twin = make('CartPole-v1');
    twin.setState!(snap);
    expect(twin.step(0).obs).toEqual(cart.step(0).obs);
  });

  it('vector envs: a snapshot for another number of envs, or with a bad entry, is refused and changes nothing', () => {
    for (const batched of [true, false]) {
      const a = makeVec('CartPole-v1', 3, {}, { batched });
      const b = makeVec('CartPole-v1', 4, {}, { batched });
      const lane = makeVec('LaneKeeper-v0', 3);
      for (const v of [a, b, lane]) v.reset({ seed: 2 });
      for (let t = 0; t < 5; t++) a.step(validActions(a));
      const before = snapshot(a);
      expect(() => a.setState(b.getState())).toThrow(/CartPole-v1 \(vector of 3\): setState\(\): '.*' must be an array of (12|3) /);
      expect(() => a.setState(lane.getState())).toThrow(/CartPole-v1 \(vector of 3\): /);
      const broken = JSON.parse(before);
      if (batched) broken.elapsed[1] = -1;
      else broken.envs[2].inner.inner.state[0] = 'x';
      expect(() => a.setState(broken)).toThrow(batched ? /'elapsed\[1\]' must be an integer in \[0, 500\], got -1/ : /'state\[0\]' must be a finite number, got string "x" \(vector env index 2\)/);
      expect(snapshot(a)).toBe(before);
      expect(() => a.setState(undefined)).toThrow(/setState\(\) needs an object/);
      expect(snapshot(a)).toBe(before);
    }
  });
});

describe('makeVec validates n the same way for every env', () => {
  it.each(listEnvs().map((r) => r.id))('%s', (id) => {
    for (const n of [0, -1, 1.5, Number.NaN, '2' as unknown as number]) {
      expect(() => makeVec(id, n), String(n)).toThrow(new RegExp(`^makeVec\\('${id}', n\\): the number of vector envs must be a positive integer, got `));
    }
    expect(makeVec(id, 2).numEnvs).toBe(2);
  });

  it('vector reset seeds must be integers', () => {
    for (const batched of [true, false]) {
      const vec = makeVec('CartPole-v1', 2, {}, { batched });
      expect(() => vec.reset({ seed: 1.5 })).toThrow(/reset seed must be an integer, got 1.5/);
    }
  });
});

describe('checkEnv checks snapshots', () => {
  it('passes a careful setState and warns (one line per finding) about one that accepts anything or changes the env before refusing', () => {
    expect(findEnvProblems(new CartPoleEnv(), { steps: 50 })).toEqual([]);
    /** Assigns without checking. */
    class NaiveCartPole extends CartPoleEnv {
      override setState(s: unknown): void {
        const st = s as { state: number[] };
        (this as unknown as { state: Float64Array }).state.set(st.state);
      }
    }
    const { errors, warnings } = inspectEnv(new NaiveCartPole(), { steps: 50 });
    // Hardening, not a contract breach: the env trains and resumes exactly.
    expect(errors).toEqual([]);
    expect(() => checkEnv(new NaiveCartPole(), { steps: 50 })).not.toThrow();
    const accepted = warnings.filter((p) => /^setState\(\) accepted malformed snapshots/.test(p));
    expect(accepted, warnings.join('\n')).toHaveLength(1);
    expect(accepted[0]).toMatch(/state\[0\]: NaN/);
    expect(warnings.filter((p) => /^setState\(\) threw something other than a TsgymError/.test(p))).toEqual([expect.stringMatching(/null: TypeError/)]);
    expect(warnings.filter((p) => /changed the env; check every field before assigning any/.test(p))).toHaveLength(1);
    expect(new Set(warnings).size).toBe(warnings.length);
  });

  it('errors on a snapshot that does not restore the env, and on seeding that is not deterministic', () => {
    /** Forgets the pole angle on restore: a resumed run would diverge from an uninterrupted one. */
    class ForgetfulCartPole extends CartPoleEnv {
      override setState(s: unknown): void {
        super.setState(s);
        (this as unknown as { state: Float64Array }).state[2] = 0;
      }
    }
    expect(inspectEnv(new ForgetfulCartPole(), { steps: 50 }).errors).toContain('setState(JSON round trip of getState()) does not restore the env exactly');
    expect(() => checkEnv(new ForgetfulCartPole(), { steps: 50 })).toThrow(/fails the env checker \(1 error\):\n {2}- setState\(JSON round trip/);
    let calls = 0;
    /** Its start state depends on how often it was reset, not on the seed. */
    class UnseededCartPole extends CartPoleEnv {
      override reset(args: { seed?: number } = {}) {
        const r = super.reset(args);
        r.obs[0] = (calls++ % 7) / 100;
        return r;
      }
    }
    expect(inspectEnv(new UnseededCartPole(), { steps: 50 }).errors.some((e) => /deterministic under a seed/.test(e))).toBe(true);
  });
});
