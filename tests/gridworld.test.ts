import { describe, expect, it } from 'vitest';
import { checkEnv } from '../envs/checker.js';
import { make, makeVec, registration } from '../envs/registry.js';
import { Rng } from '../core/rng.js';
import { GridWorldEnv, GRIDWORLD_IMAGE_CHANNELS, makeGridWorld, type GridLayout } from '../envs/gridworld.js';
import { GRIDWORLD_LAYOUTS } from '../envs/gridworld-layouts.js';

const IDS = ['GridWorld-4x4', 'GridWorld-5x5', 'CliffWalking', 'FourRooms', 'GridWorld-Maze'];

function grid(id: string): GridWorldEnv {
  return make(id).unwrapped as unknown as GridWorldEnv;
}

describe('registered gridworlds', () => {
  it.each(IDS)('%s passes checkEnv', (id) => {
    expect(() => checkEnv(make(id))).not.toThrow();
  });

  it.each(['coords', 'image'] as const)('passes checkEnv with obs %s and slip', (obs) => {
    for (const id of IDS) expect(() => checkEnv(make(id, { obs, slip: 0.2 }), { steps: 300 })).not.toThrow();
  });

  it('resolves lower-case aliases', () => {
    expect(registration('gridworld-4x4').id).toBe('GridWorld-4x4');
    expect(registration('gridworld-5x5').id).toBe('GridWorld-5x5');
    expect(registration('cliffwalking').id).toBe('CliffWalking');
    expect(registration('fourrooms').id).toBe('FourRooms');
    expect(registration('maze').id).toBe('GridWorld-Maze');
  });

  it('have the state counts of their sources', () => {
    expect(grid('GridWorld-4x4').numStates).toBe(16);
    expect(grid('GridWorld-5x5').numStates).toBe(25);
    // 48 cells minus 10 cliff cells, which the agent never stands in.
    expect(grid('CliffWalking').numStates).toBe(38);
    // Sutton, Precup & Singh (1999): 104 cells.
    expect(grid('FourRooms').numStates).toBe(104);
  });

  it('4x4 starts uniformly among the 14 non-terminal cells', () => {
    const env = grid('GridWorld-4x4');
    expect(Array.from(env.terminalStates)).toEqual([env.stateOf(0, 0), env.stateOf(3, 3)]);
    expect(env.startStates.length).toBe(14);
    const counts = new Map<number, number>();
    env.reset({ seed: 5 });
    const n = 14000;
    for (let i = 0; i < n; i++) {
      const s = env.reset().info.state as number;
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(Array.from(env.startStates));
    for (const c of counts.values()) expect(Math.abs(c / n - 1 / 14)).toBeLessThan(4 * Math.sqrt((1 / 14) * (13 / 14) / n));
  });

  it('5x5 is continuing and truncated by the time limit', () => {
    const env = make('GridWorld-5x5');
    env.reset({ seed: 1 });
    const rng = new Rng(3);
    let steps = 0;
    for (;;) {
      const r = env.step(rng.int(4));
      steps++;
      expect(r.terminated).toBe(false);
      if (r.truncated) break;
    }
    expect(steps).toBe(100);
  });

  it('a random walk rarely solves the maze within the time limit', () => {
    const env = make('maze');
    const rng = new Rng('random-walk');
    let reached = 0;
    for (let ep = 0; ep < 100; ep++) {
      env.reset({ seed: ep });
      for (;;) {
        const r = env.step(rng.int(4));
        if (r.terminated) reached++;
        if (r.terminated || r.truncated) break;
      }
    }
    expect(reached).toBeLessThan(10);
  });

  it('work in a vector env', () => {
    const venv = makeVec('FourRooms', 3, { obs: 'coords' });
    venv.reset({ seed: 0 });
    venv.step([0, 1, 2]);
    expect(venv.obs.length).toBe(6);
  });
});

describe('GridWorldEnv dynamics', () => {
  it('moves, bumps and terminates as in Example 4.1', () => {
    const env = new GridWorldEnv({ layout: '4x4' });
    env.reset({ seed: 0, options: { startState: env.stateOf(1, 1) } });
    let r = env.step(0); // up
    expect(env.cellOf(r.info.state as number)).toEqual([0, 1]);
    expect(r.reward).toBe(-1);
    r = env.step(0); // bump the top edge
    expect(env.cellOf(r.info.state as number)).toEqual([0, 1]);
    expect(r.info.event).toBe('bump');
    expect(r.reward).toBe(-1);
    r = env.step(3); // into the terminal corner
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(-1);
    // The bare env stays absorbed.
    r = env.step(2);
    expect(r).toMatchObject({ reward: 0, terminated: true });
  });

  it("teleports A -> A' (+10) and B -> B' (+5) whatever the action, -1 off the grid (Example 3.5)", () => {
    const env = new GridWorldEnv({ layout: '5x5' });
    for (let a = 0; a < 4; a++) {
      env.reset({ seed: 0, options: { startState: env.stateOf(0, 1) } });
      const r = env.step(a);
      expect(env.cellOf(r.info.state as number)).toEqual([4, 1]);
      expect(r.reward).toBe(10);
      env.reset({ options: { startState: env.stateOf(0, 3) } });
      const rb = env.step(a);
      expect(env.cellOf(rb.info.state as number)).toEqual([2, 3]);
      expect(rb.reward).toBe(5);
    }
    env.reset({ options: { startState: env.stateOf(0, 0) } });
    expect(env.step(1).reward).toBe(0); // entering A pays nothing; leaving it does
    env.reset({ options: { startState: env.stateOf(0, 0) } });
    expect(env.step(3)).toMatchObject({ reward: -1, info: { state: env.stateOf(0, 0), event: 'bump' } });
  });

  it('sends the agent back to the start from the cliff without ending the episode (Example 6.6)', () => {
    const env = new GridWorldEnv({ layout: 'CliffWalking' });
    const start = env.reset({ seed: 0 }).info.state as number;
    expect(env.cellOf(start)).toEqual([3, 0]);
    expect(env.stateOf(3, 5)).toBe(-1);
    const r = env.step(1);
    expect(r).toMatchObject({ reward: -100, terminated: false, info: { state: start, event: 'pit' } });
  });

  it('samples the same outcome distribution as transitions(s, a) (slip, pits, several starts)', () => {
    const layout: GridLayout = {
      name: 'slippery',
      map: ['S.C.G', '.#.A.', 'S.P.a'],
      legend: { A: { kind: 'teleport', to: 'a', reward: 3 } },
      stepReward: -0.5,
      bumpReward: -2,
    };
    const env = new GridWorldEnv({ layout, slip: 0.4 });
    const n = 4000;
    const cases: [number, number, number][] = [[0, 1, 1], [0, 1, 2], [1, 2, 0], [0, 0, 3], [1, 3, 2], [2, 1, 1]];
    env.reset({ seed: 11 });
    for (const [row, col, a] of cases) {
      const s = env.stateOf(row, col);
      const model = env.transitions(s, a);
      expect(model.reduce((t, o) => t + o.p, 0)).toBeCloseTo(1, 12);
      const counts = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        env.reset({ options: { startState: s } });
        const r = env.step(a);
        const key = `${r.info.state}/${r.reward}/${r.terminated}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      for (const key of counts.keys()) expect(model.some((o) => `${o.next}/${o.reward}/${o.done}` === key)).toBe(true);
      for (const o of model) {
        const freq = (counts.get(`${o.next}/${o.reward}/${o.done}`) ?? 0) / n;
        expect(Math.abs(freq - o.p)).toBeLessThan(4 * Math.sqrt((o.p * (1 - o.p)) / n) + 1e-9);
      }
    }
    // Moving right from (0, 1) onto the cliff sends the agent to either start: two outcomes with reward -100.
    const fromZeroOne = env.transitions(env.stateOf(0, 1), 1);
    expect(fromZeroOne.filter((o) => o.reward === -100).map((o) => env.cellOf(o.next))).toEqual([[0, 0], [2, 0]]);
    expect(fromZeroOne.filter((o) => o.reward === -100).map((o) => o.p)).toEqual([0.3, 0.3]);
  });

  it('with slip, the intended move has probability 1 - slip and each other direction slip / 3', () => {
    const env = new GridWorldEnv({ layout: 'FourRooms', slip: 1 / 3 });
    const s = env.stateOf(2, 2); // open floor: all four moves lead to different cells
    const out = env.transitions(s, 1);
    const byCell = new Map(out.map((o) => [env.cellOf(o.next).join(','), o.p]));
    expect(byCell.get('2,3')).toBeCloseTo(2 / 3, 12);
    for (const c of ['1,2', '3,2', '2,1']) expect(byCell.get(c)).toBeCloseTo(1 / 9, 12);
  });

  it('is deterministic under a seed and differs across seeds', () => {
    const run = (seed: number) => {
      const env = make('FourRooms', { slip: 0.3 });
      const rng = new Rng(42);
      const trace: number[] = [];
      trace.push(env.reset({ seed }).info.state as number);
      for (let t = 0; t < 300; t++) {
        const r = env.step(rng.int(4));
        trace.push(r.info.state as number, r.reward);
        if (r.terminated || r.truncated) trace.push(env.reset().info.state as number);
      }
      return trace;
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });
});

describe('checkpointing', () => {
  it('getState/setState resume an episode exactly (through the make wrappers, JSON round trip)', () => {
    const a = make('FourRooms', { slip: 0.3 });
    a.reset({ seed: 3 });
    for (let t = 0; t < 5; t++) a.step(t % 4);
    const snapshot = JSON.parse(JSON.stringify(a.getState!()));
    const b = make('FourRooms', { slip: 0.3 });
    b.setState!(snapshot);
    expect(b.renderState()).toEqual(a.renderState());
    const rng = new Rng(1);
    for (let t = 0; t < 200; t++) {
      const act = rng.int(4);
      const ra = a.step(act);
      const rb = b.step(act);
      expect(rb).toEqual(ra);
      if (ra.terminated || ra.truncated) {
        expect(b.reset().obs).toEqual(a.reset().obs);
      }
    }
    expect(() => b.setState!({ inner: { inner: { state: 999 } }, own: null })).toThrow();
  });
});

describe('observations and render state', () => {
  it('one-hot marks info.state', () => {
    const env = make('GridWorld-5x5');
    const { obs, info } = env.reset({ seed: 4 });
    expect(obs.length).toBe(25);
    expect(obs.reduce((a, b) => a + b, 0)).toBe(1);
    expect(obs[info.state as number]).toBe(1);
  });

  it('coords are the normalised (row, col)', () => {
    const env = new GridWorldEnv({ layout: 'CliffWalking', obs: 'coords' });
    expect(Array.from(env.reset({ seed: 0 }).obs)).toEqual([1, 0]);
    expect(Array.from(env.step(0).obs)).toEqual([Math.fround(2 / 3), 0]);
  });

  it('image has wall, agent, terminal, pit and teleport planes', () => {
    const env = new GridWorldEnv({ layout: { map: ['S#G', 'C.A', 'P.a'], legend: { A: { kind: 'teleport', to: 'a' } } }, obs: 'image' });
    expect(env.observationSpace.shape).toEqual([GRIDWORLD_IMAGE_CHANNELS.length, 3, 3]);
    const { obs } = env.reset({ seed: 0 });
    const plane = (ch: string) => Array.from(obs.subarray(GRIDWORLD_IMAGE_CHANNELS.indexOf(ch as never) * 9, (GRIDWORLD_IMAGE_CHANNELS.indexOf(ch as never) + 1) * 9));
    expect(plane('wall')).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(plane('agent')).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(plane('terminal')).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(plane('pit')).toEqual([0, 0, 0, 1, 0, 0, 1, 0, 0]);
    expect(plane('teleport')).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0]);
  });

  it('renderState describes the map, legend and agent', () => {
    const env = make('CliffWalking');
    env.reset({ seed: 0 });
    env.step(0);
    const rs = env.renderState();
    expect(rs).toMatchObject({ kind: 'gridworld', rows: 4, cols: 12, agent: [2, 0], lastAction: 0, lastReward: -1 });
    expect(rs.cells).toEqual(GRIDWORLD_LAYOUTS.CliffWalking.map);
    expect(rs.legend).toMatchObject({ C: { kind: 'pit', reward: -100 }, G: { kind: 'terminal' }, S: { kind: 'start' } });
  });
});

describe('custom layouts', () => {
  it('builds a world from a few lines', () => {
    const env = makeGridWorld({
      map: `S..#..G
            .#.#.#.
            .#...#C`,
      legend: { C: { kind: 'pit', reward: -10, terminal: true } },
    }, { stepReward: -0.1 }, { maxEpisodeSteps: 50 });
    const world = env.unwrapped as unknown as GridWorldEnv;
    expect([world.rows, world.cols]).toEqual([3, 7]);
    expect(world.cellOf(world.startStates[0])).toEqual([0, 0]);
    expect(world.transitions(world.stateOf(1, 6), 2)).toEqual([{ p: 1, next: world.stateOf(2, 6), reward: -10, done: true }]);
    expect(world.transitions(world.stateOf(1, 6), 0)).toEqual([{ p: 1, next: world.stateOf(0, 6), reward: 1, done: true }]);
    expect(() => checkEnv(env)).not.toThrow();
  });

  it('rejects bad layouts and options with messages that say what to fix', () => {
    expect(() => new GridWorldEnv({ layout: { map: ['S..', '..'] } })).toThrow(/row 1 has 2 cells but row 0 has 3/);
    expect(() => new GridWorldEnv({ layout: { map: ['S.?G'] } })).toThrow(/unknown map character '\?' at row 0, col 2/);
    expect(() => new GridWorldEnv({ layout: { map: ['SA.G'], legend: { A: { kind: 'teleport', to: 'z' } } } })).toThrow(/'z', which appears 0 times/);
    expect(() => new GridWorldEnv({ layout: { map: ['GG'] } })).toThrow(/no start cell/);
    expect(() => new GridWorldEnv({ layout: 'nope' })).toThrow(/unknown layout 'nope'.*FourRooms/);
    expect(() => new GridWorldEnv({ slip: 1.5 })).toThrow(/slip.*\[0, 1\]/);
    expect(() => new GridWorldEnv({ obs: 'pixels' as never })).toThrow(/'onehot', 'coords' or 'image'/);
    expect(() => new GridWorldEnv({ slipp: 0.1 } as never)).toThrow(/unknown option 'slipp'/);
    const env = new GridWorldEnv();
    expect(() => env.reset({ options: { startState: 0 } })).toThrow(/non-terminal state index/);
    expect(() => env.transitions(99, 0)).toThrow(/not a state index/);
    expect(() => env.stateOf(4, 0)).toThrow(/outside the 4×4 map/);
  });
});
