/**
 * The playback clock shared by the panes: the current frame (0 = after reset, k = after step k), play /
 * pause, stepping, seeking and speed. Pure (no DOM), driven by `tick(seconds)` from requestAnimationFrame.
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
