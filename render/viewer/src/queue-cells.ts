/**
 * The queue on the comparison and study pages (`view --queue`): a run's job as one line — queued, running on
 * which worker since when and how far, failed with its error's first line, done — and a note on the queue as a
 * whole (or that it cannot be read). The pages follow it through `…/queue/events`, whose events carry the jobs.
 */
import type { QueueRun, QueueRunsResponse, QueueRunState, QueueSummary } from '../../../formats/api-types.js';
import { formatSteps } from '../../../experiments/report-common.js';
import { followChanges } from './api.js';
import { el } from './hud.js';

const clock = (ms: number) => new Date(ms).toTimeString().slice(0, 8);

/** One run's job for people. */
export function queueRunText(r: QueueRun): string {
  if (r.state === 'queued') return r.jobState === 'delayed' ? 'queued (delayed)' : 'queued';
  if (r.state === 'failed') return `failed: ${r.error || 'no reason given'}`;
  if (r.state === 'done') return 'done';
  const on = r.worker ? `running on ${r.worker}` : 'running (no progress from its worker yet)';
  const since = r.takenAt !== null ? ` since ${clock(r.takenAt)}` : '';
  const at = r.step !== null ? ` · step ${formatSteps(r.step)}${r.total ? ` / ${formatSteps(r.total)} (${Math.floor((100 * r.step) / r.total)}%)` : ''}` : '';
  return `${on}${since}${at}${r.attempts > 1 ? ` · attempt ${r.attempts}` : ''}`;
}

/** A table cell for a run's job ('—' when it has none on the queue). */
export function queueCell(r: QueueRun | undefined): HTMLTableCellElement {
  const td = el('td', `queue-cell${r ? ` queue-${r.state}` : ''}`, r ? queueRunText(r) : '—');
  if (r?.state === 'failed') td.title = r.error ?? '';
  return td;
}

/** "queue redis://…: 1 running, 2 queued" of the jobs shown, or why the queue cannot be read. */
export function queueNote(q: QueueSummary & { runs?: QueueRun[] }, what: string): string {
  if (!q.configured) return '';
  if (!q.reachable) return `queue unreachable: ${q.error ?? '?'}${q.lastReadAt !== null ? ` (last read at ${clock(q.lastReadAt)})` : ''}; the rest of this page is read from the files`;
  const states: QueueRunState[] = ['running', 'queued', 'failed', 'done'];
  const n = (s: QueueRunState) => (q.runs ?? []).filter((r) => r.state === s).length;
  return `queue ${q.url}: ${states.map((s) => `${n(s)} ${s}`).join(', ')} of ${what}`;
}

/** Follows a `…/queue/events` stream; `onUpdate` gets each new state. Returns the stream (close it to stop). */
export function followQueue(url: string, onUpdate: (q: QueueRunsResponse) => void): EventSource {
  const source = new EventSource(url);
  followChanges(source, (_first, data) => onUpdate(JSON.parse(data) as QueueRunsResponse));
  return source;
}
