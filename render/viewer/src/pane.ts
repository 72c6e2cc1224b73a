/**
 * One replay pane: a pixi.js canvas with the scene for the episode's render kind, a title, overlay
 * toggles and the HUD. Two panes play in sync in side-by-side mode.
 */
import { Application, type RendererPreference } from 'pixi.js';
import type { EpisodeEntry, ValuesFile } from '../../../formats/api-types.js';
import type { ReplayFile } from '../../../formats/replay-format.js';
import { el, formatNumber, Hud } from './hud.js';
import { createScene } from './scenes/index.js';
import type { Scene } from './scenes/scene.js';

export interface Selection {
  run: string;
  path: string;
}

export class Pane {
  readonly root: HTMLDivElement;
  private readonly titleEl = el('div', 'pane-title');
  private readonly subtitleEl = el('div', 'pane-subtitle');
  private readonly host = el('div', 'canvas-host');
  private readonly overlaysEl = el('div', 'overlays');
  private readonly errorEl = el('div', 'pane-error');
  /** Problems with the run's extras (values.json) that do not stop the episode from playing. */
  private readonly warningEl = el('div', 'pane-warning');
  readonly hud = new Hud();
  app: Application | null = null;
  scene: Scene | null = null;
  replay: ReplayFile | null = null;
  selection: Selection | null = null;
  error: string | null = null;
  private frame = 0;
  private width = 0;
  private height = 0;
  /** Set by {@link setFixedSize} (an off-screen pane for exports): the canvas no longer follows its box. */
  private fixed = false;
  /** The values the episode was shown with (an export pane copies them). */
  values: ValuesFile | null = null;
  entry: EpisodeEntry | undefined = undefined;
  title = '';
  private readonly resizeObserver: ResizeObserver;

  constructor(readonly label: string) {
    this.root = el('div', 'pane');
    this.root.dataset.pane = label;
    this.root.append(this.titleEl, this.subtitleEl, this.host, this.errorEl, this.warningEl, this.overlaysEl, this.hud.root);
    this.resizeObserver = new ResizeObserver(() => this.resize());
  }

  /** Creates the pixi app: WebGL where the browser has it, else the canvas 2D renderer. */
  async init(preference: RendererPreference[], resolution = window.devicePixelRatio || 1): Promise<void> {
    const app = new Application();
    await app.init({
      width: 640,
      height: 400,
      background: 0xf6f3ea,
      antialias: true,
      preference,
      resolution,
      autoDensity: true,
      autoStart: false,
    });
    this.app = app;
    app.canvas.setAttribute('aria-label', `replay ${this.label}`);
    this.host.append(app.canvas);
    this.resizeObserver.observe(this.host);
    // The height follows the window's too (see resize).
    window.addEventListener('resize', () => this.resize());
    this.resize();
  }

  get rendererName(): string {
    return this.app?.renderer.name ?? 'none';
  }

  /** Shows `replay`; `title` names it for people (run, checkpoint, episode), the tooltip gives its path. */
  setEpisode(selection: Selection, title: string, replay: ReplayFile, values: ValuesFile | null, entry: EpisodeEntry | undefined, valuesError: string | null = null): void {
    this.clearScene();
    this.selection = selection;
    this.replay = replay;
    this.values = values;
    this.entry = entry;
    this.title = title;
    this.error = null;
    this.errorEl.textContent = '';
    const frames = [replay.initialState, ...replay.steps.map((s) => s.state)];
    this.scene = createScene({ replay, frames, values });
    this.app?.stage.addChild(this.scene.root);
    this.hud.setReplay(replay, this.scene.actionLabels());
    this.titleEl.textContent = title;
    this.titleEl.title = `${selection.run}/episodes/${selection.path}`;
    const bits = [
      replay.envId,
      `agent ${replay.agent.name}`,
      replay.agent.checkpointStep !== null ? `checkpoint @ ${replay.agent.checkpointStep.toLocaleString('en')} steps` : 'no checkpoint',
      `seed ${replay.seed ?? '—'}`,
      `return ${formatNumber(replay.return)} in ${replay.length} steps`,
    ];
    if (replay.label) bits.unshift(replay.label);
    if (entry?.label && entry.label !== replay.label) bits.unshift(entry.label);
    this.subtitleEl.textContent = bits.join(' · ');
    this.renderOverlayToggles();
    const warnings = [valuesError, this.scene.overlayProblem?.() ?? null].filter((w): w is string => Boolean(w));
    this.warningEl.textContent = warnings.join('\n');
    this.show(this.frame);
  }

  showError(selection: Selection | null, title: string, message: string): void {
    this.clearScene();
    this.selection = selection;
    this.replay = null;
    this.error = message;
    this.titleEl.textContent = title;
    this.titleEl.title = selection ? `${selection.run}/episodes/${selection.path}` : '';
    this.subtitleEl.textContent = '';
    this.errorEl.textContent = message;
    this.warningEl.textContent = '';
    this.hud.setReplay(null, null);
    this.hud.show(0);
    this.app?.render();
  }

  private clearScene(): void {
    if (this.scene) {
      this.app?.stage.removeChild(this.scene.root);
      this.scene.destroy();
      this.scene = null;
    }
    this.overlaysEl.replaceChildren();
  }

  private renderOverlayToggles(): void {
    this.overlaysEl.replaceChildren();
    const scene = this.scene;
    if (!scene) return;
    for (const [name, on] of Object.entries(scene.overlays())) {
      const label = el('label', 'overlay-toggle');
      const box = el('input');
      box.type = 'checkbox';
      box.checked = on;
      box.dataset.overlay = name;
      box.addEventListener('change', () => {
        scene.setOverlay(name, box.checked);
        // One overlay at a time: the others' boxes follow the scene.
        const state = scene.overlays();
        for (const other of this.overlaysEl.querySelectorAll<HTMLInputElement>('input[data-overlay]')) other.checked = state[other.dataset.overlay ?? ''] ?? false;
        box.blur();
        this.show(this.frame);
      });
      label.append(box, ` ${name}`);
      this.overlaysEl.append(label);
    }
  }

  /** Draws `frame` (clamped to this episode's length: a shorter episode holds its last frame). */
  show(frame: number): void {
    this.frame = frame;
    if (!this.app || !this.scene || !this.replay) return;
    const f = Math.min(frame, this.replay.length);
    this.scene.draw(f, this.width, this.height);
    this.hud.show(f);
    this.app.render();
  }

  /** A fixed canvas size in CSS pixels (off-screen panes, which have no box to follow). */
  setFixedSize(width: number, height: number): void {
    this.fixed = true;
    this.width = Math.max(1, Math.round(width));
    this.height = Math.max(1, Math.round(height));
    this.app?.renderer.resize(this.width, this.height);
    this.show(this.frame);
  }

  get size(): { width: number; height: number } {
    return { width: this.width, height: this.height };
  }

  private resize(): void {
    if (!this.app || this.fixed) return;
    const w = Math.max(200, Math.floor(this.host.clientWidth));
    // Short of the window's height, so the HUD and the transport controls below stay in view (the header,
    // titles, HUD and controls take about 340 px).
    const h = Math.max(180, Math.min(520, Math.round(w * 0.62), window.innerHeight - 340));
    if (w === this.width && h === this.height) return;
    this.width = w;
    this.height = h;
    this.app.renderer.resize(w, h);
    this.show(this.frame);
  }

  /**
   * Draws `frame` and copies the picture into a 2D canvas at most `maxWidth` wide, in the same task as the
   * render (a WebGL canvas's drawing buffer is only readable until the browser composites it).
   */
  grab(frame: number, maxWidth = Infinity, into?: HTMLCanvasElement): HTMLCanvasElement {
    if (!this.app || !this.replay) throw new Error('no episode to export');
    this.show(frame);
    const src = this.app.canvas;
    const scale = Math.min(1, maxWidth / src.width);
    const out = into ?? document.createElement('canvas');
    const w = Math.max(1, Math.round(src.width * scale));
    const h = Math.max(1, Math.round(src.height * scale));
    if (out.width !== w || out.height !== h) {
      out.width = w;
      out.height = h;
    }
    const ctx = out.getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(src, 0, 0, w, h);
    return out;
  }

  /** Debug / test view of what the pane shows. */
  snapshot(): Record<string, unknown> {
    return {
      label: this.label,
      selection: this.selection,
      kind: this.scene?.kind ?? null,
      envId: this.replay?.envId ?? null,
      length: this.replay?.length ?? null,
      frame: this.replay ? Math.min(this.frame, this.replay.length) : null,
      renderer: this.rendererName,
      error: this.error,
      probe: this.scene?.probe() ?? null,
      canvasSize: { width: this.width, height: this.height },
      warning: this.warningEl.textContent || null,
      overlays: this.scene?.overlays() ?? {},
      hud: { action: this.hud.actionText, chosenBar: this.hud.chosenBar, barValues: [...this.root.querySelectorAll('.bar-value')].map((e) => e.textContent) },
    };
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    this.clearScene();
    this.app?.destroy(true);
  }
}
