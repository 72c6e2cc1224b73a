/**
 * Every numeric constructor option of every built-in env has a documented range: the bounds are accepted, a
 * value outside (1e308, -1e308, Infinity, just past a bound) is refused with one line naming the option, the
 * value and the range, and through the CLI (`--env-set`) that is an `error:` line before any run exists.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TsgymError } from '../core/errors.js';
import { ACROBOT_TORQUE_NOISE_RANGE } from '../envs/acrobot.js';
import type { OptionRange } from '../envs/core.js';
import { GRIDWORLD_REWARD_RANGE } from '../envs/gridworld.js';
import { LANE_KEEPER_MAX_DIFFICULTY, LANE_KEEPER_MAX_SENSOR_NOISE, LANE_KEEPER_MAX_SPEED, LANE_KEEPER_MIN_SPEED } from '../envs/lanekeeper.js';
import { MOUNTAIN_CAR_GOAL_VELOCITY_RANGE } from '../envs/mountaincar.js';
import { MINATAR_STICKY_RANGE } from '../envs/minatar/env.js';
import { PENDULUM_G_RANGE } from '../envs/pendulum.js';
import { listEnvs, make } from '../envs/registry.js';
import { run } from '../experiments/cli.js';

/** [env id, option, range, the label errors start with]. */
const RANGED: [string, string, OptionRange, string][] = [
  ['Pendulum-v1', 'g', PENDULUM_G_RANGE, 'Pendulum-v1'],
  ['MountainCar-v0', 'goal_velocity', MOUNTAIN_CAR_GOAL_VELOCITY_RANGE, 'MountainCar-v0'],
  ['MountainCarContinuous-v0', 'goal_velocity', MOUNTAIN_CAR_GOAL_VELOCITY_RANGE, 'MountainCarContinuous-v0'],
  ['Acrobot-v1', 'torque_noise_max', ACROBOT_TORQUE_NOISE_RANGE, 'Acrobot-v1'],
  ...(['LaneKeeper-v0', 'LaneKeeperContinuous-v0'] as const).flatMap((id): [string, string, OptionRange, string][] => [
    [id, 'speed', { min: LANE_KEEPER_MIN_SPEED, max: LANE_KEEPER_MAX_SPEED, unit: 'm/s' }, id],
    [id, 'difficulty', { min: 0, max: LANE_KEEPER_MAX_DIFFICULTY }, id],
    [id, 'sensorNoise', { min: 0, max: LANE_KEEPER_MAX_SENSOR_NOISE }, id],
  ]),
  ...listEnvs()
    .filter((r) => r.id.startsWith('MinAtar/'))
    .map((r): [string, string, OptionRange, string] => [r.id, 'stickyActionProb', MINATAR_STICKY_RANGE, r.id.replace(/-v\d+$/, '')]),
  ...['GridWorld-4x4', 'GridWorld-5x5', 'CliffWalking', 'FourRooms', 'GridWorld-Maze'].flatMap((id): [string, string, OptionRange, string][] => {
    const label = `GridWorld '${(make(id).unwrapped as unknown as { layoutName: string }).layoutName}'`;
    return [
      [id, 'stepReward', GRIDWORLD_REWARD_RANGE, label],
      [id, 'bumpReward', GRIDWORLD_REWARD_RANGE, label],
      [id, 'slip', { min: 0, max: 1 }, label],
    ];
  }),
];

const rangeText = (r: OptionRange) => `between ${r.min} and ${r.max}${r.unit ? ` ${r.unit}` : ''}`;

describe('env options: every numeric option has a range', () => {
  it('the table covers every registered env that takes a numeric option (CartPole takes none)', () => {
    const covered = new Set(RANGED.map(([id]) => id));
    expect(listEnvs().map((r) => r.id).filter((id) => !covered.has(id) && !id.startsWith('CartPole'))).toEqual([]);
  });

  for (const [id, key, range, label] of RANGED) {
    it(`${id}: '${key}' accepts ${rangeText(range)} and refuses anything else in one line`, () => {
      for (const ok of [range.min, range.max]) expect(() => make(id, { [key]: ok }).close(), `${key}=${ok}`).not.toThrow();
      const width = range.max - range.min;
      for (const bad of [1e308, -1e308, Infinity, -Infinity, range.max + width * 1e-3, range.min - width * 1e-3]) {
        let error: unknown;
        try {
          make(id, { [key]: bad });
        } catch (e) {
          error = e;
        }
        expect(error, `${key}=${bad}`).toBeInstanceOf(TsgymError);
        const message = (error as Error).message;
        // A gridworld refuses a non-finite number before its range check, and words slip as a probability.
        if (!Number.isFinite(bad) && label.startsWith('GridWorld')) expect(message).toBe(`${label}: option '${key}' must be a finite number, got ${bad}`);
        else if (key === 'slip') expect(message).toBe(`${label}: option 'slip' must be a probability in [0, 1], got ${bad}`);
        else expect(message).toBe(`${label}: option '${key}' must be ${rangeText(range)}, got ${bad}`);
        expect(message).not.toContain('\n');
      }
    });
  }

  it('a gridworld layout with a cell reward out of range is refused, naming the cell', () => {
    expect(() => make('GridWorld-4x4', { layout: { map: ['S.X'], legend: { X: { kind: 'terminal', reward: 1e308 } } } })).toThrow(
      /legend entry 'X' has reward 1e\+308; use a number between -1000000 and 1000000/,
    );
  });

  it('`train … --env-set g=1e308` and `sensorNoise=1e308` are an error line and a hint, and write nothing', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgym-env-options-'));
    try {
      for (const [args, message] of [
        [['train', 'sac', 'pendulum', '--env-set', 'g=1e308'], "error: Pendulum-v1: option 'g' must be between 0 and 100 m/s², got 1e+308"],
        [['train', 'dqn', 'lanekeeper', '--env-set', 'sensorNoise=1e308'], "error: LaneKeeper-v0: option 'sensorNoise' must be between 0 and 1, got 1e+308"],
      ] as const) {
        let stderr = '';
        const code = await run([...args, '--out', out, '--progress', 'none'], (t) => (stderr += `${t}\n`));
        expect(code, stderr).toBe(2);
        const lines = stderr.trimEnd().split('\n');
        expect(lines[0]).toBe(message);
        expect(lines).toHaveLength(2);
        expect(lines[1]).toMatch(/^hint: /);
      }
      expect(fs.readdirSync(out)).toEqual([]);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
