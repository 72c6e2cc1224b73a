/**
 * A pane for an episode that is still being played (play page, live agent, in-tab training): the same
 * scenes and HUD as the replay viewer, drawing the newest frame of a growing replay. The scene is given
 * the episode's own `frames` array, which grows in place, so nothing is copied per step.
 *
 * The HUD's bars show the decision taken *from* a frame, which does not exist yet for the newest one, so
 * this pane draws the decision about to be made (`setDecision`) in bars of its own, and its own end line.
 */
import { Application } from 'pixi.js';
import type { RenderState } from '../../../envs/core.js';
import type { ValuesFile } from '../../api-types.js';
import type { ReplayFile } from '../../replay-format.js';
import { el, formatNumber, Hud } from './hud.js';
import { createScene } from './scenes/index.js';
import type { Scene } from './scenes/scene.js';

export class LivePane {
  readonly root = el('div', 'pane live-pane');
  readonly titleEl = el('div', 'pane-title');
  readonly subtitleEl = el('div', 'pane-subtitle');
  private readonly host = el('div', 'canvas-host');
  private readonly statusEl = el('div', 'live-status');
  private readonly barsTitle = el('div', 'live-bars-title');
  private readonly bars = el('div', 'bars');
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
    this.root.append(this.titleEl, this.subtitleEl, this.host, this.statusEl, this.hud.root, this.barsTitle, this.bars);
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

  /** The agent's Q-values or probabilities for the observation it is about to act on, and its choice. */
  setDecision(d: { qValues?: ArrayLike<number>; probs?: ArrayLike<number>; action?: number } | null): void {
    const values = d?.qValues ?? d?.probs;
    if (!d || !values) {
      this.barsTitle.textContent = '';
      this.bars.replaceChildren();
      return;
    }
    const v = Array.from(values);
    const isQ = d.qValues !== undefined;
    this.barsTitle.textContent = isQ ? 'Q-values now (greedy action highlighted)' : 'action probabilities now (chosen action highlighted)';
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    const floor = isQ ? (hi > 0 ? Math.min(0, lo) : 2 * lo) : 0;
    const span = (isQ ? hi : 1) - floor || 1;
    const start = this.replay?.actionSpace.type === 'Discrete' ? this.replay.actionSpace.start : 0;
    const chosen = d.action === undefined ? v.indexOf(hi) : d.action - start;
    this.bars.replaceChildren(
      ...v.map((x, i) => {
        const row = el('div', `bar-row${i === chosen ? ' chosen' : ''}`);
        const track = el('span', 'bar-track');
        const fill = el('span', 'bar-fill');
        fill.style.width = `${Math.max(2, Math.min(100, Math.round((100 * (x - floor)) / span)))}%`;
        track.append(fill);
        row.append(el('span', 'bar-label', this.labels?.[i] ?? String(i + start)), track, el('span', 'bar-value', formatNumber(x)));
        return row;
      }),
    );
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
    };
  }
}
