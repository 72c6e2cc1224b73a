/**
 * A scene draws the frames of one replay with pixi.js. Frame 0 is the state after reset; frame k is the
 * state after step k. Scenes are picked by the render state's `kind` (scenes/index.ts).
 */
import { Text, type Container } from 'pixi.js';
import type { RenderState } from '../../../../envs/core.js';
import type { ValuesFile } from '../../../../formats/api-types.js';
import type { ReplayFile } from '../../../../formats/replay-format.js';

export interface SceneContext {
  replay: ReplayFile;
  /** `frames[0]` = initialState, `frames[k]` = steps[k-1].state. */
  frames: RenderState[];
  /** The run's value/policy overlay (tabular runs), when it has one. */
  values: ValuesFile | null;
}

/** Where a scene drew its key object, in CSS pixels from the canvas's top-left corner (for tests and tooltips). */
export interface SceneProbe {
  kind: string;
  /** The main moving object (cart, agent, car) and the colour it is filled with, '#rrggbb'. */
  marker: { x: number; y: number; color: string } | null;
  [key: string]: unknown;
}

export interface Scene {
  readonly kind: string;
  /** Playback rate at 1x speed, in env steps per second (the env's real time where it has one). */
  readonly stepsPerSecond: number;
  /** The pixi container the scene draws into (added to the app's stage by the pane). */
  readonly root: Container;
  /** Names of the discrete actions, by index, or null when the scene does not know them. */
  actionLabels(): string[] | null;
  /** Draws frame `frame` into a `width` × `height` area (CSS pixels). */
  draw(frame: number, width: number, height: number): void;
  /** Overlay toggles this scene offers (e.g. the gridworld's values), by name → on/off. */
  overlays(): Record<string, boolean>;
  setOverlay(name: string, on: boolean): void;
  /** Why an overlay the run has could not be drawn (e.g. values.json does not fit the map), or null. */
  overlayProblem?(): string | null;
  probe(): SceneProbe;
  destroy(): void;
}

export type SceneFactory = (ctx: SceneContext) => Scene;

/** A number from a render state, or `fallback` when the field is missing or not a finite number. */
export function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

export function hex(color: number): string {
  return `#${color.toString(16).padStart(6, '0')}`;
}

/** The state of frame `frame`, clamped to the frames there are, or `fallback` when there are none. */
export function frameAt(ctx: SceneContext, frame: number, fallback: RenderState): RenderState {
  return ctx.frames[Math.max(0, Math.min(frame, ctx.frames.length - 1))] ?? fallback;
}

/**
 * A frame read as its env's render state type (e.g. CartPoleRenderState). Frames come from files and the
 * network, so any field may be missing or malformed: every field is optional, and numbers are read with num().
 */
export type FrameOf<S extends RenderState> = Partial<S>;

/** Frame `frame` (clamped to the episode; none: an empty frame) as its env's render state type. */
export function typedFrameAt<S extends RenderState>(ctx: SceneContext, frame: number): FrameOf<S> {
  return (ctx.frames[Math.max(0, Math.min(frame, ctx.frames.length - 1))] ?? {}) as FrameOf<S>;
}

/** A scene's text label (12 px, the scenes' font), its text set when drawing. */
export function sceneText(fill: number): Text {
  return new Text({ text: '', style: { fontFamily: 'system-ui, sans-serif', fontSize: 12, fill } });
}

/** Wraps a scene's layout (sizes and static layers) so that it runs again only when the drawing area's size changes. */
export function onResize(layout: (width: number, height: number) => void): (width: number, height: number) => void {
  let key = '';
  return (width, height) => {
    if (`${width}x${height}` === key) return;
    key = `${width}x${height}`;
    layout(width, height);
  };
}
