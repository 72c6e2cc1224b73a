/**
 * core/numpy-random.ts against numpy's own legacy RandomState: every call in tests/fixtures/minatar/numpy-random.json
 * (recorded by record_numpy_random.py next to it) is repeated here and must give the same value, exactly.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NumpyRandomState } from '../core/numpy-random.js';
import { TsgymError } from '../core/errors.js';

type Call = [string, ...unknown[]];
interface NumpyCase {
  seed: number | number[];
  keyHead: number[];
  keyTail: number[];
  calls: { call: Call; result: unknown }[];
}

const fixturePath = fileURLToPath(new URL('./fixtures/minatar/numpy-random.json', import.meta.url));
const fixture = JSON.parse(readFileSync(fixturePath, 'utf8')) as { header: string; cases: NumpyCase[] };

function perform(rs: NumpyRandomState, call: Call): unknown {
  const [op, ...args] = call;
  const n = args as number[];
  switch (op) {
    case 'uint32':
      return Array.from({ length: n[0] }, () => rs.randint(0, 2 ** 32));
    case 'rand':
      return Array.from(rs.rand(n[0]));
    case 'random_sample':
      return rs.randomSample();
    case 'randint':
      return n.length === 1 ? rs.randint(n[0]) : rs.randint(n[0], n[1]);
    case 'randint_size':
      return rs.randintArray(n[0], n[1], n[2]);
    case 'choice':
      return rs.choice(n[0]);
    case 'choice_p':
      return rs.choice(n[0], args[1] as number[]);
    case 'skip':
      rs.rand(n[0]);
      return null;
    default:
      throw new Error(`unknown call ${op}`);
  }
}

describe('NumpyRandomState vs numpy.random.RandomState', () => {
  it('the fixture covers integer seeds, seed lists and every sampler', () => {
    expect(fixture.header).toMatch(/numpy \d/);
    expect(fixture.cases.length).toBeGreaterThanOrEqual(9);
    expect(fixture.cases.some((c) => Array.isArray(c.seed))).toBe(true);
    const ops = new Set(fixture.cases.flatMap((c) => c.calls.map((x) => x.call[0])));
    for (const op of ['uint32', 'rand', 'random_sample', 'randint', 'randint_size', 'choice', 'choice_p', 'skip']) expect(ops).toContain(op);
  });

  for (const c of fixture.cases) {
    it(`seed ${JSON.stringify(c.seed).slice(0, 40)}: seeded key and every draw equal numpy's`, () => {
      const rs = new NumpyRandomState(c.seed);
      const key = rs.snapshot().key;
      expect(key.slice(0, 8)).toEqual(c.keyHead);
      expect(key.slice(-4)).toEqual(c.keyTail);
      for (const { call, result } of c.calls) expect(perform(rs, call), JSON.stringify(call)).toEqual(result);
    });
  }

  it('a snapshot restores the stream exactly', () => {
    const rs = new NumpyRandomState(7);
    rs.rand(500);
    const copy = NumpyRandomState.fromSnapshot(JSON.parse(JSON.stringify(rs.snapshot())));
    expect(Array.from(copy.rand(300))).toEqual(Array.from(rs.rand(300)));
  });

  it('refuses seeds and bounds numpy refuses', () => {
    expect(() => new NumpyRandomState(-1)).toThrow(TsgymError);
    expect(() => new NumpyRandomState(2 ** 32)).toThrow(/0 to 2\^32/);
    expect(() => new NumpyRandomState(1.5)).toThrow(TsgymError);
    expect(() => new NumpyRandomState([])).toThrow(/non-empty/);
    const rs = new NumpyRandomState(0);
    expect(() => rs.randint(0)).toThrow(/below high/);
    expect(() => rs.randint(3, 3)).toThrow(/below high/);
    expect(() => rs.choice(3, [0.5, 0.6, 0])).toThrow(/sum to 1/);
  });
});
