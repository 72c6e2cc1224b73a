/** What the play, live-agent and training pages share: element lookup, the header's page links, errors. */
import { validateSeed } from '../../../core/seeds.js';
import { el } from './hud.js';

export const $ = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page is missing #${id}`);
  return e as T;
};

const PAGES: [string, string][] = [
  ['index.html', 'replays'],
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

/** Options of an env `<select>`: every registered env id. */
export function fillEnvSelect(select: HTMLSelectElement, ids: string[], chosen: string): void {
  select.replaceChildren(...ids.map((id) => new Option(id, id, id === chosen, id === chosen)));
}

/** A seed from a number field: an integer from 0 to 2^53 − 1 (core/seeds.ts), or an error saying so. */
export function readSeed(input: HTMLInputElement): number {
  const text = input.value.trim();
  const v = text === '' ? NaN : Number(text);
  validateSeed(v, 'seed');
  return v;
}
