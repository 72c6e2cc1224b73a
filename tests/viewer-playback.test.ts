import { describe, expect, it } from 'vitest';
import { gifSchedule, Playback, SPEEDS } from '../render/viewer/src/playback.js';

describe('viewer playback clock', () => {
  it('advances at steps-per-second × speed, carrying fractions, and stops at the last frame', () => {
    const p = new Playback();
    p.stepsPerSecond = 50;
    p.setLastFrame(100);
    p.play();
    expect(p.tick(0.01)).toBe(false); // half a step
    expect(p.tick(0.01)).toBe(true);
    expect(p.frame).toBe(1);
    p.setSpeed(4);
    p.tick(0.1); // 20 steps
    expect(p.frame).toBe(21);
    for (let i = 0; i < 20; i++) p.tick(0.1);
    expect(p.frame).toBe(100);
    expect(p.playing).toBe(false);
    p.play(); // from the end: starts over
    expect([p.frame, p.playing]).toEqual([0, true]);
  });

  it('caps a long pause between ticks (a hidden tab) at a quarter second', () => {
    const p = new Playback();
    p.stepsPerSecond = 10;
    p.setLastFrame(1000);
    p.play();
    p.tick(30);
    expect(p.frame).toBe(2);
  });

  it('steps, seeks and clamps; stepping pauses', () => {
    const p = new Playback();
    p.setLastFrame(10);
    p.play();
    p.step(3);
    expect([p.frame, p.playing]).toEqual([3, false]);
    p.step(-5);
    expect(p.frame).toBe(0);
    p.seek(42);
    expect(p.frame).toBe(10);
    p.seek(4.6);
    expect(p.frame).toBe(5);
    p.setLastFrame(2);
    expect(p.frame).toBe(2);
  });

  it('has speeds 0.25x to 8x; faster/slower walk them and stop at the ends', () => {
    expect([...SPEEDS]).toEqual([0.25, 0.5, 1, 2, 4, 8]);
    const p = new Playback();
    for (let i = 0; i < 10; i++) p.faster();
    expect(p.speed).toBe(8);
    for (let i = 0; i < 10; i++) p.slower();
    expect(p.speed).toBe(0.25);
    p.setSpeed(3);
    expect([2, 4]).toContain(p.speed);
  });

  it('does not play an empty episode, and tells listeners about changes', () => {
    const p = new Playback();
    let calls = 0;
    p.onChange(() => calls++);
    p.play();
    expect(p.playing).toBe(false);
    p.setLastFrame(5);
    p.seek(2);
    expect(calls).toBe(2);
  });
});

describe('GIF timing follows the playback speed', () => {
  const duration = (d: number[]) => d.reduce((a, b) => a + b, 0);
  it('1×, 2× and 4× of CartPole (50 steps/s): the GIF lasts 1/speed as long, no delay under 20 ms', () => {
    const one = gifSchedule(200, 50, 600);
    const two = gifSchedule(200, 100, 600);
    const four = gifSchedule(200, 200, 600);
    expect(one.stride).toBe(1);
    expect(one.frames).toHaveLength(201);
    expect(duration(one.delays.slice(0, -1))).toBe(4000);
    // Faster than one frame per 20 ms: every 2nd (4th) frame, each still 20 ms.
    expect(two.stride).toBe(2);
    expect(duration(two.delays.slice(0, -1))).toBe(2000);
    expect(four.stride).toBe(4);
    expect(duration(four.delays.slice(0, -1))).toBe(1000);
    for (const s of [one, two, four]) expect(Math.min(...s.delays)).toBeGreaterThanOrEqual(20);
  });

  it('rates that do not divide 10 ms keep to the clock without drift', () => {
    const s = gifSchedule(90, 30, 600); // MountainCar at 1×: 33.3 ms a step
    expect(s.stride).toBe(1);
    expect(new Set(s.delays.slice(0, -1))).toEqual(new Set([30, 40]));
    expect(duration(s.delays.slice(0, -1))).toBe(3000);
    expect(s.frames.at(-1)).toBe(90);
    // maxFrames still caps long episodes.
    expect(gifSchedule(5000, 10, 600).frames.length).toBeLessThanOrEqual(601);
  });
});
