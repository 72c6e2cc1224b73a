/**
 * What the play, live-agent and training pages share: element lookup, the page setup (header links, the
 * live pane), the URL-hash pickers, errors and downloads.
 */
import { validateSeed } from '../../../core/seeds.js';
import { listEnvs } from '../../../envs/registry.js';
import { el, formatNumber } from './hud.js';
import { LivePane } from './live-pane.js';

export const $ = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page is missing #${id}`);
  return e as T;
};

const PAGES: [string, string][] = [
  ['index.html', 'replays'],
  ['scalars.html', 'scalars'],
  ['play.html', 'play'],
  ['agent.html', 'live agent'],
  ['train.html', 'train in the tab'],
];

/** Links to the other pages, appended to the header; the current page is marked. */
export function addNav(current: string): void {
  const nav = el('nav', 'lab-nav');
  for (const [href, label] of PAGES) {
    const a = el('a', href === current ? 'current' : undefined, label);
    a.href = href;
    nav.append(a);
  }
  document.querySelector('header')?.append(nav);
}

/** Shows an error for people (one line per problem) in #lab-error; null clears it. */
export function showError(message: string | null): void {
  const box = document.getElementById('lab-error');
  if (box) box.textContent = message ?? '';
}

/** Hands `text` to the browser as a file download. */
export function download(fileName: string, content: string | Uint8Array, type = 'application/json'): void {
  const blob = new Blob([content as BlobPart], { type });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** The start of every lab page: the header's links (`page` marked) and a live pane, labelled `paneLabel`, in #stage. */
export function setupLabPage(page: string, paneLabel: string): LivePane {
  addNav(page);
  const pane = new LivePane(paneLabel);
  $('stage').append(pane.root);
  return pane;
}

/** The page's `#key=value&…` parameters. */
export function hashParams(): URLSearchParams {
  return new URLSearchParams(location.hash.slice(1));
}

/** Selects `value` in `select` if it is one of its options (else leaves the selection alone). */
export function selectIfOffered(select: HTMLSelectElement, value: string | null): void {
  if (value !== null && [...select.options].some((o) => o.value === value)) select.value = value;
}

/**
 * `#env=<id>&seed=<n>` → the env `<select>` (when the page has one: every registered env, the hash's one
 * chosen, else CartPole-v1) and the seed field (left as it is without a seed in the hash).
 */
export function applyEnvAndSeed(params: URLSearchParams, envSelect: HTMLSelectElement | null, seedInput: HTMLInputElement): void {
  if (envSelect) {
    const ids = listEnvs().map((r) => r.id);
    const wanted = params.get('env');
    const chosen = wanted !== null && ids.includes(wanted) ? wanted : 'CartPole-v1';
    envSelect.replaceChildren(...ids.map((id) => new Option(id, id, id === chosen, id === chosen)));
  }
  const seed = params.get('seed');
  if (seed !== null) seedInput.value = seed;
}

/** A seed from a number field: an integer from 0 to 2^53 − 1 (core/seeds.ts), or an error saying so. */
export function readSeed(input: HTMLInputElement): number {
  const text = input.value.trim();
  const v = text === '' ? NaN : Number(text);
  validateSeed(v, 'seed');
  return v;
}

/** The seed field's seed, or null after showing why it is not one (the page then starts nothing). */
export function seedOrShowError(input: HTMLInputElement): number | null {
  try {
    return readSeed(input);
  } catch (e) {
    showError((e as Error).message);
    return null;
  }
}

/** `[term, detail]` rows as the <dt>/<dd> children of a description list. */
export function termRows(rows: [string, string][]): HTMLElement[] {
  return rows.flatMap(([term, detail]) => [el('dt', undefined, term), el('dd', undefined, detail)]);
}

/** How an episode went, for the pages' lists of finished episodes: its return, length and end. */
export function episodeOutcome(r: { return: number; length: number; terminated: boolean }): string {
  return `return ${formatNumber(r.return)} · ${r.length} steps · ${r.terminated ? 'terminated' : 'truncated'}`;
}
