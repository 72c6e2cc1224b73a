import { describe, expect, it } from 'vitest';
import { TsgymError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { agentRegistration } from '../agents/registry.js';
import { validateHyperparams } from '../agents/hyperparams.js';
import { DEFAULT_SPACES, defaultSpaceFor } from '../experiments/tune/default-spaces.js';
import { checkParams, checkSpaceAgainstSchema, parseSpaceFlag, parseSpaceFlags, sampleUniform, validateSpace, type SearchSpace } from '../experiments/tune/space.js';

/** The error `fn` throws: a one-line TsgymError. */
function oneLineError(fn: () => unknown): TsgymError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TsgymError);
  const e = caught as TsgymError;
  expect(e.message).not.toContain('\n');
  return e;
}

describe('search space validation', () => {
  it('accepts the documented example', () => {
    const space = {
      lr: { type: 'float', low: 1e-5, high: 1e-2, log: true },
      nSteps: { type: 'int', low: 8, high: 2048, log: true },
      activation: { type: 'categorical', choices: ['tanh', 'relu'] },
    };
    expect(validateSpace(space)).toBe(space);
  });

  it.each([
    ['an empty space', {}, /empty/],
    ['an inverted range', { lr: { type: 'float', low: 1e-2, high: 1e-5 } }, /'lr' range is inverted \(low 0.01 > high 0.00001\)/],
    ['an empty range', { lr: { type: 'float', low: 0.1, high: 0.1 } }, /'lr' range is empty/],
    ['a log range from 0', { lr: { type: 'float', low: 0, high: 1, log: true } }, /'lr' is log-scaled, so low must be > 0, got 0/],
    ['a log range below 0', { n: { type: 'int', low: -4, high: 8, log: true } }, /'n' is log-scaled, so low must be > 0, got -4/],
    ['an unknown type', { lr: { type: 'loguniform', low: 1e-5, high: 1 } }, /'lr' has unknown type "loguniform"; use 'float', 'int' or 'categorical'/],
    ['a fractional int bound', { n: { type: 'int', low: 1.5, high: 8 } }, /'n' low must be an integer, got 1.5/],
    ['a NaN bound', { x: { type: 'float', low: Number.NaN, high: 1 } }, /'x' low must be a finite number/],
    ['no choices', { a: { type: 'categorical', choices: [] } }, /'a' needs a non-empty list of choices/],
    ['a repeated choice', { a: { type: 'categorical', choices: ['tanh', 'tanh'] } }, /'a' lists the choice "tanh" twice/],
    ['a non-object', [1, 2], /must be an object/],
    ['an overflowing range', { x: { type: 'float', low: -1e308, high: 1e308 } }, /'x' range \[-1e\+308, 1e\+308\] is too wide/],
  ])('refuses %s with one line', (_what, space, message) => {
    expect(oneLineError(() => validateSpace(space)).message).toMatch(message);
  });

  it('checks a point against the space', () => {
    const space: SearchSpace = { n: { type: 'int', low: 1, high: 4 }, a: { type: 'categorical', choices: ['x', 'y'] } };
    expect(checkParams(space, { n: 2, a: 'y' })).toEqual({ n: 2, a: 'y' });
    expect(oneLineError(() => checkParams(space, { n: 2.5, a: 'y' })).message).toMatch(/'n' = 2.5 is outside/);
    expect(oneLineError(() => checkParams(space, { n: 2 })).message).toMatch(/missing parameter 'a'/);
    expect(oneLineError(() => checkParams(space, { n: 2, a: 'x', b: 1 })).message).toMatch(/'b' is not in the search space/);
  });

  it('uniform draws stay inside the space and cover every integer of a log range', () => {
    const rng = new Rng(1);
    const d = { type: 'int', low: 1, high: 8, log: true } as const;
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = sampleUniform(d, rng) as number;
      expect(Number.isInteger(v) && v >= 1 && v <= 8).toBe(true);
      seen.add(v);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (let i = 0; i < 1000; i++) {
      const x = sampleUniform({ type: 'float', low: 1e-5, high: 1e-2, log: true }, rng) as number;
      expect(x >= 1e-5 && x <= 1e-2).toBe(true);
    }
  });
});

describe('--space flags', () => {
  it('reads ranges, log ranges and choices', () => {
    expect(parseSpaceFlag('lr=1e-5:1e-2:log')).toEqual(['lr', { type: 'float', low: 1e-5, high: 1e-2, log: true }]);
    expect(parseSpaceFlag('nSteps=8:2048:log')).toEqual(['nSteps', { type: 'int', low: 8, high: 2048, log: true }]);
    expect(parseSpaceFlag('gamma=0.9:0.999')).toEqual(['gamma', { type: 'float', low: 0.9, high: 0.999 }]);
    expect(parseSpaceFlag('x=1:10:float')).toEqual(['x', { type: 'float', low: 1, high: 10 }]);
    expect(parseSpaceFlag('activation=tanh,relu')).toEqual(['activation', { type: 'categorical', choices: ['tanh', 'relu'] }]);
    expect(parseSpaceFlag('batch=32,64,128')).toEqual(['batch', { type: 'categorical', choices: [32, 64, 128] }]);
    expect(parseSpaceFlag('normalizeObs=true,false')).toEqual(['normalizeObs', { type: 'categorical', choices: [true, false] }]);
  });

  it("takes the type from the agent's schema", () => {
    const ppo = agentRegistration('ppo').hyperparams;
    // numSteps is an integer key: an int range even though 8.0 is written with a dot.
    expect(parseSpaceFlag('numSteps=8.0:2048:log', ppo)).toEqual(['numSteps', { type: 'int', low: 8, high: 2048, log: true }]);
    // entCoef is a number key: a float range even with integer-looking bounds.
    expect(parseSpaceFlag('entCoef=0:1', ppo)).toEqual(['entCoef', { type: 'float', low: 0, high: 1 }]);
  });

  it.each([
    ['lr', /expected key=low:high\[:log\] or key=a,b,c/],
    ['lr=', /no range or choices/],
    ['lr=1e-2:1e-5:log', /'lr' range is inverted/],
    ['lr=0:1e-2:log', /'lr' is log-scaled, so low must be > 0, got 0/],
    ['lr=fast:1', /low must be a number, got 'fast'/],
    ['lr=1e-5:1e-2:cubic', /unknown range flag 'cubic'/],
    ['activation=tanh,,relu', /empty choice/],
  ])('refuses --space %s with one line', (flag, message) => {
    expect(oneLineError(() => parseSpaceFlag(flag)).message).toMatch(message);
  });

  it('refuses a key given twice', () => {
    expect(oneLineError(() => parseSpaceFlags(['lr=1e-5:1e-2:log', 'lr=1e-4:1e-3'])).message).toMatch(/'lr' is given twice/);
  });
});

describe("a space against the agent's schema", () => {
  const ppo = agentRegistration('ppo').hyperparams;
  const check = (flags: string[]) => checkSpaceAgainstSchema('ppo', parseSpaceFlags(flags, ppo), ppo);

  it('accepts a space inside the schema', () => {
    expect(() => check(['lr=1e-5:1e-2:log', 'numSteps=8:2048:log', 'activation=tanh,relu', 'gamma=0.9:0.9999', 'normalizeObs=true,false'])).not.toThrow();
  });

  it.each([
    [['lrr=1e-5:1e-2:log'], /ppo: unknown hyperparameter 'lrr' in the search space \(did you mean lr\?\)/],
    [['gamma=0.9:1.5'], /search space for 'gamma' \(float \[0.9, 1.5\]\) includes 1.5, but 'gamma' must be a number in \[0, 1\]/],
    [['lr=0:1e-2'], /includes 0, but 'lr' must be a number > 0/],
    [['numSteps=0:64'], /includes 0, but 'numSteps' must be an integer in \[1, 1000000\]/],
    [['activation=tanh,gelu'], /includes "gelu", but 'activation' must be one of 'tanh', 'relu'/],
    [['numSteps=8:64:float'], /'numSteps' is an integer hyperparameter; use an int range/],
    [['activation=1:3'], /'activation' is one of 'tanh', 'relu'; give it choices/],
    [['totalSteps=1000:5000'], /'totalSteps' is set from --steps/],
  ])('refuses %s with one line', (flags, message) => {
    expect(oneLineError(() => check(flags)).message).toMatch(message);
  });
});

describe('default search spaces per agent', () => {
  it.each(Object.keys(DEFAULT_SPACES))("%s: inside the schema, and every sampled point passes the agent's own checks", (agent) => {
    const reg = agentRegistration(agent);
    const space = defaultSpaceFor(agent);
    expect(() => checkSpaceAgainstSchema(agent, validateSpace(space), reg.hyperparams)).not.toThrow();
    const rng = new Rng(agent);
    for (let i = 0; i < 50; i++) {
      const point = Object.fromEntries(Object.entries(space).map(([k, d]) => [k, sampleUniform(d, rng)]));
      for (const numEnvs of [1, 16]) expect(() => validateHyperparams(agent, reg.hyperparams, point, { numEnvs })).not.toThrow();
    }
  });

  it.each([512, 6000, 100_000])('with a budget of %i steps, step-count ranges end at most at half of it and stay valid', (budget) => {
    for (const agent of ['dqn', 'sac']) {
      const reg = agentRegistration(agent);
      const space = defaultSpaceFor(agent, budget);
      expect(() => checkSpaceAgainstSchema(agent, validateSpace(space), reg.hyperparams)).not.toThrow();
      for (const key of ['learningStarts', 'epsDecaySteps', 'targetUpdateInterval']) {
        const d = space[key];
        if (!d || d.type !== 'int') continue;
        expect(d.high).toBeLessThanOrEqual(budget / 2);
        expect(d.low).toBeLessThan(d.high);
      }
      // Keys that do not count steps are the unbudgeted space's.
      expect(space.lr).toEqual(defaultSpaceFor(agent).lr);
    }
    expect(defaultSpaceFor('dqn', 6000).epsDecaySteps).toEqual({ type: 'int', low: 30, high: 3000, log: true });
    expect(defaultSpaceFor('dqn', 1e9)).toEqual(defaultSpaceFor('dqn'));
  });

  it('an agent without one is a one-line error', () => {
    expect(oneLineError(() => defaultSpaceFor('nope')).message).toMatch(/no default search space for agent 'nope'/);
  });
});
