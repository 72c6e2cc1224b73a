/**
 * The heads-up display under a pane's canvas: step, the action that led to this frame, its reward, the
 * return so far, the episode end, the agent's Q-values or action probabilities behind that same action (the
 * values it chose it from, that action highlighted) as bars, and the scalar fields of the render state.
 */
import type { ReplayFile } from '../../../formats/replay-format.js';

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function formatNumber(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(digits);
}

export class Hud {
  readonly root = el('div', 'hud');
  private readonly stepEl = el('span', 'v hud-step');
  private readonly actionEl = el('span', 'v hud-action');
  private readonly rewardEl = el('span', 'v hud-reward');
  private readonly returnEl = el('span', 'v hud-return');
  private readonly endEl = el('div', 'hud-end');
  private readonly barsTitle = el('div', 'bars-title');
  private readonly bars = el('div', 'bars');
  private readonly fields = el('div', 'state-fields');
  private cumulative: number[] = [0];
  private replay: ReplayFile | null = null;
  private labels: string[] | null = null;
  /** For tests: the highlighted bar's action index (-1: none) and the frame shown. */
  chosenBar = -1;
  shownStep = 0;

  constructor() {
    const row = el('div', 'hud-row');
    const pair = (label: string, value: HTMLElement) => {
      const p = el('span', 'pair');
      p.append(el('span', 'k', label), value);
      row.append(p);
    };
    pair('step', this.stepEl);
    pair('action', this.actionEl);
    pair('reward', this.rewardEl);
    pair('return', this.returnEl);
    this.root.append(row, this.endEl, this.barsTitle, this.bars, this.fields);
  }

  setReplay(replay: ReplayFile | null, actionLabels: string[] | null): void {
    this.replay = replay;
    this.labels = actionLabels;
    this.cumulative = [0];
    for (const s of replay?.steps ?? []) this.cumulative.push(this.cumulative[this.cumulative.length - 1] + s.reward);
  }

  /** The action field's text (tests compare it with the highlighted bar). */
  get actionText(): string {
    return this.actionEl.textContent ?? '';
  }

  private actionName(a: number | number[]): string {
    if (Array.isArray(a)) return `[${a.map((v) => formatNumber(v)).join(', ')}]`;
    const start = this.replay?.actionSpace.type === 'Discrete' ? this.replay.actionSpace.start : 0;
    const label = this.labels?.[a - start];
    return label ? `${label} (${a})` : String(a);
  }

  show(frame: number): void {
    const r = this.replay;
    if (!r) {
      for (const e of [this.stepEl, this.actionEl, this.rewardEl, this.returnEl]) e.textContent = '—';
      this.endEl.textContent = '';
      this.bars.replaceChildren();
      this.barsTitle.textContent = '';
      this.fields.textContent = '';
      this.chosenBar = -1;
      return;
    }
    const f = Math.min(frame, r.length);
    this.stepEl.textContent = `${f} / ${r.length}`;
    const last = f > 0 ? r.steps[f - 1] : null;
    this.actionEl.textContent = last ? this.actionName(last.action) : '— (reset)';
    this.rewardEl.textContent = last ? (last.reward > 0 ? '+' : '') + formatNumber(last.reward) : '—';
    this.returnEl.textContent = formatNumber(this.cumulative[f]);
    const ended = f === r.length && r.length > 0;
    this.endEl.textContent = ended ? (r.terminated ? 'terminated (terminal state reached)' : r.truncated ? 'truncated (time limit or cut short)' : 'end of recording') : '';
    this.endEl.classList.toggle('terminated', ended && r.terminated);
    // The bars belong to the same step as the action above: the values the agent chose that action from.
    this.renderBars(last);
    this.shownStep = f;
    const state = f === 0 ? r.initialState : r.steps[f - 1].state;
    const parts: string[] = [];
    for (const [k, v] of Object.entries(state)) {
      if (k === 'kind') continue;
      if (typeof v === 'number') parts.push(`${k} ${formatNumber(v)}`);
      else if (typeof v === 'string' || typeof v === 'boolean') parts.push(`${k} ${v}`);
      else if (v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'number')) {
        parts.push(`${k} {${Object.entries(v as Record<string, number>).map(([a, b]) => `${a} ${formatNumber(b)}`).join(', ')}}`);
      }
    }
    this.fields.textContent = parts.join(' · ');
  }

  /** Bars for the step shown: the Q-values or probabilities the agent chose this step's action from. */
  private renderBars(next: ReplayFile['steps'][number] | null): void {
    const values = next?.qValues ?? next?.probs;
    this.chosenBar = -1;
    if (!next || !values) {
      const hasAny = this.replay?.steps.some((s) => s.qValues ?? s.probs) ?? false;
      this.barsTitle.textContent = !next && hasAny ? 'no action yet (step forward to see the first decision)' : '';
      this.bars.replaceChildren();
      return;
    }
    const isQ = next.qValues !== undefined;
    this.barsTitle.textContent = isQ ? 'Q-values this action was chosen from (it is highlighted)' : 'action probabilities this action was drawn from (it is highlighted)';
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    // Bars start at 0 for positive values and at twice the lowest for all-negative ones, so near-equal
    // Q-values look near-equal; probabilities are drawn on [0, 1].
    const floor = isQ ? (hi > 0 ? Math.min(0, lo) : 2 * lo) : 0;
    const top = isQ ? hi : 1;
    const span = top - floor || 1;
    const best = values.indexOf(Math.max(...values));
    const start = this.replay?.actionSpace.type === 'Discrete' ? this.replay.actionSpace.start : 0;
    const chosen = typeof next.action === 'number' ? next.action - start : -1;
    this.chosenBar = chosen;
    const rows = values.map((v, i) => {
      const row = el('div', `bar-row${i === chosen ? ' chosen' : ''}${i === best ? ' best' : ''}`);
      const label = el('span', 'bar-label', this.labels?.[i] ?? String(i + start));
      const track = el('span', 'bar-track');
      const fill = el('span', 'bar-fill');
      fill.style.width = `${Math.max(2, Math.min(100, Math.round((100 * (v - floor)) / span)))}%`;
      track.append(fill);
      row.append(label, track, el('span', 'bar-value', formatNumber(v)));
      return row;
    });
    this.bars.replaceChildren(...rows);
  }
}
