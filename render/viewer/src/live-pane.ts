/**
 * A pane for an episode that is still being played (play page, live agent, in-tab training): the same
 * scenes and HUD as the replay viewer, drawing the newest frame of a growing replay. The scene is given
 * the episode's own `frames` array, which grows in place, so nothing is copied per step.
 *
 * One convention everywhere, as in the replay viewer: the HUD's bars are the Q-values or probabilities
 * the action shown in the HUD was chosen from (that action highlighted). The decision about to be made
 * from the newest frame (`setDecision`) is a separate line below, labelled "next action", without bars.
 * The pane draws its own end line.
 */
import { Application } from 'pixi.js';
import type { RenderState } from '../../../envs/core.js';
import type { ValuesFile } from '../../../formats/api-types.js';
import type { ReplayFile } from '../../../formats/replay-format.js';
import { el, formatNumber, Hud } from './hud.js';
import { createScene } from './scenes/index.js';
import type { Scene } from './scenes/scene.js';

export class LivePane {
  readonly root = el('div', 'pane live-pane');
  readonly titleEl = el('div', 'pane-title');
  readonly subtitleEl = el('div', 'pane-subtitle');
  private readonly host = el('div', 'canvas-host');
  private readonly statusEl = el('div', 'live-status');
  private readonly nextEl = el('div', 'live-next');
  readonly hud = new Hud();
  app: Application | null = null;
  scene: Scene | null = null;
  replay: ReplayFile | null = null;
  private frames: RenderState[] = [];
  private labels: string[] | null = null;
  private frame = 0;
  private width = 0;
  private height = 0;
  private readonly resizeObserver = new ResizeObserver(() => this.resize());

  constructor(readonly label: string) {
    this.root.dataset.pane = label;
    this.root.append(this.titleEl, this.subtitleEl, this.host, this.statusEl, this.hud.root, this.nextEl);
  }

  async init(): Promise<void> {
    const app = new Application();
    await app.init({ width: 640, height: 400, background: 0xf6f3ea, antialias: true, preference: ['webgl', 'webgpu'], resolution: window.devicePixelRatio || 1, autoDensity: true, autoStart: false });
    this.app = app;
    app.canvas.setAttribute('aria-label', `${this.label} view`);
    this.host.append(app.canvas);
    this.resizeObserver.observe(this.host);
    this.resize();
  }

  /** Starts showing `replay`, whose frames are `frames` (the same array keeps growing as the episode runs). */
  setEpisode(replay: ReplayFile, frames: RenderState[], values: ValuesFile | null = null): void {
    if (this.scene) {
      this.app?.stage.removeChild(this.scene.root);
      this.scene.destroy();
    }
    this.replay = replay;
    this.frames = frames;
    this.scene = createScene({ replay, frames, values });
    this.labels = this.scene.actionLabels();
    this.app?.stage.addChild(this.scene.root);
    this.setDecision(null);
    this.update();
  }

  /** Redraws the newest frame now. */
  update(): void {
    this.show(this.frames.length - 1);
  }

  private drawPending = false;

  /**
   * Redraws the newest frame at the next animation frame: however fast the env steps, it is drawn at most
   * once per display frame (software WebGL can take longer to draw a frame than the env to step).
   */
  requestDraw(): void {
    if (this.drawPending) return;
    this.drawPending = true;
    requestAnimationFrame(() => {
      this.drawPending = false;
      this.update();
    });
  }

  /** Draws frame `frame` of the current episode. */
  show(frame: number): void {
    const r = this.replay;
    if (!r || !this.scene || !this.app) return;
    this.frame = Math.max(0, Math.min(frame, this.frames.length - 1));
    this.scene.draw(this.frame, this.width, this.height);
    this.hud.setReplay(r, this.labels);
    this.hud.show(this.frame);
    const ended = this.frame === r.length && (r.terminated || r.truncated);
    this.statusEl.textContent = ended ? (r.terminated ? 'terminated (terminal state reached)' : 'truncated (time limit)') : '';
    this.statusEl.classList.toggle('terminated', ended && r.terminated);
    this.app.render();
  }

  /** The action the agent is about to take from the newest frame, with the Q-value or probability it had. */
  setDecision(d: { qValues?: ArrayLike<number>; probs?: ArrayLike<number>; action?: number } | null): void {
    const values = d?.qValues ?? d?.probs;
    if (!d || !values) {
      this.nextEl.textContent = '';
      return;
    }
    const v = Array.from(values);
    const isQ = d.qValues !== undefined;
    const start = this.replay?.actionSpace.type === 'Discrete' ? this.replay.actionSpace.start : 0;
    const chosen = d.action === undefined ? v.indexOf(Math.max(...v)) : d.action - start;
    const name = this.labels?.[chosen] ?? String(chosen + start);
    this.nextEl.textContent = `next action (not taken yet): ${name}, ${isQ ? 'Q' : 'probability'} ${formatNumber(v[chosen])}`;
  }

  private resize(): void {
    if (!this.app) return;
    const w = Math.max(200, Math.floor(this.host.clientWidth));
    const h = Math.max(220, Math.min(480, Math.round(w * 0.6)));
    if (w === this.width && h === this.height) return;
    this.width = w;
    this.height = h;
    this.app.renderer.resize(w, h);
    this.show(this.frame);
  }

  snapshot(): Record<string, unknown> {
    return {
      kind: this.scene?.kind ?? null,
      envId: this.replay?.envId ?? null,
      length: this.replay?.length ?? null,
      frame: this.frame,
      renderer: this.app?.renderer.name ?? 'none',
      probe: this.scene?.probe() ?? null,
      hudAction: this.hud.root.querySelector('.hud-action')?.textContent ?? null,
      hudChosenBar: this.hud.chosenBar,
      next: this.nextEl.textContent,
    };
  }
}
