/**
 * The playback clock shared by the panes: the current frame (0 = after reset, k = after step k), play /
 * pause, stepping, seeking and speed. Pure (no DOM), driven by `tick(seconds)` from requestAnimationFrame.
 * Also the frame timing of an exported GIF, so that it plays at the same speed as the viewer.
 */
export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8] as const;

export class Playback {
  frame = 0;
  /** The last frame (the longest episode's number of steps). */
  lastFrame = 0;
  playing = false;
  speed = 1;
  /** Env steps per second at 1x. */
  stepsPerSecond = 30;
  private carry = 0;
  private readonly listeners = new Set<() => void>();

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }

  setLastFrame(n: number): void {
    this.lastFrame = Math.max(0, Math.floor(n));
    if (this.frame > this.lastFrame) this.frame = this.lastFrame;
    this.emit();
  }

  play(): void {
    if (this.lastFrame === 0) return;
    if (this.frame >= this.lastFrame) this.frame = 0; // play again from the start
    this.playing = true;
    this.carry = 0;
    this.emit();
  }

  pause(): void {
    if (!this.playing) return;
    this.playing = false;
    this.emit();
  }

  toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  /** Moves by `delta` frames and pauses. */
  step(delta: number): void {
    this.playing = false;
    this.seek(this.frame + delta);
  }

  seek(frame: number): void {
    const f = Math.max(0, Math.min(this.lastFrame, Math.round(frame)));
    this.carry = 0;
    if (f === this.frame) {
      this.emit();
      return;
    }
    this.frame = f;
    this.emit();
  }

  setSpeed(speed: number): void {
    this.speed = SPEEDS.reduce((best, s) => (Math.abs(s - speed) < Math.abs(best - speed) ? s : best), SPEEDS[0]);
    this.emit();
  }

  faster(): void {
    const i = SPEEDS.indexOf(this.speed as (typeof SPEEDS)[number]);
    this.setSpeed(SPEEDS[Math.min(SPEEDS.length - 1, i + 1)]);
  }

  slower(): void {
    const i = SPEEDS.indexOf(this.speed as (typeof SPEEDS)[number]);
    this.setSpeed(SPEEDS[Math.max(0, i - 1)]);
  }

  /** Advances the clock by `seconds` of wall time (capped, so a hidden tab does not jump). True if the frame changed. */
  tick(seconds: number): boolean {
    if (!this.playing) return false;
    this.carry += Math.min(Math.max(0, seconds), 0.25) * this.stepsPerSecond * this.speed;
    const whole = Math.floor(this.carry);
    if (whole <= 0) return false;
    this.carry -= whole;
    this.frame = Math.min(this.lastFrame, this.frame + whole);
    if (this.frame >= this.lastFrame) this.playing = false;
    this.emit();
    return true;
  }
}

/** The shortest frame delay browsers honour (a GIF counts in 10 ms units; 0 and 10 ms are shown as 100 ms). */
const MIN_DELAY_MS = 20;

/**
 * Which frames a GIF of frames 0..last shows and how long each stays up, so that it plays at
 * `stepsPerSecond` (the viewer's playback rate, so 2× plays twice as fast): every `stride`-th frame (and
 * the last), the stride large enough for at most `maxFrames` frames and for no delay under 20 ms. Frame i
 * is due at step frames[i] / stepsPerSecond; delays are rounded to the GIF's 10 ms units without drifting
 * from that clock. The last delay is the time to the end (the caller may hold the last frame longer).
 */
export function gifSchedule(last: number, stepsPerSecond: number, maxFrames: number): { frames: number[]; delays: number[]; stride: number } {
  const stride = Math.max(1, Math.ceil((last + 1) / Math.max(2, maxFrames)), Math.ceil((MIN_DELAY_MS * stepsPerSecond) / 1000 - 1e-9));
  const frames: number[] = [];
  for (let f = 0; f <= last; f += stride) frames.push(f);
  if (frames[frames.length - 1] !== last) frames.push(last);
  const at = (f: number) => Math.round((100 * f) / stepsPerSecond) * 10; // ms on the 10 ms grid
  const delays = frames.map((f, i) => Math.max(MIN_DELAY_MS, i + 1 < frames.length ? at(frames[i + 1]) - at(f) : (1000 * stride) / stepsPerSecond));
  return { frames, delays, stride };
}
