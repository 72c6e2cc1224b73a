/** Base of every tsgym error: the message says what was wrong and how to fix it. */
export class TsgymError extends Error {
  override name = 'TsgymError';
  /** Where to look next (the CLI prints it as its hint line); unset: the command's --help. */
  readonly hint?: string;
  constructor(message: string, opts: { hint?: string } = {}) {
    super(message);
    this.hint = opts.hint;
  }
}

/** A TsgymError as a script prints it: the `error:` line, and a `hint:` line when it has one. */
export function errorLines(e: TsgymError): string {
  return `error: ${e.message}${e.hint ? `\nhint: ${e.hint}` : ''}`;
}

/** The candidate closest to `word` by edit distance, if it is close enough to be a plausible typo. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= (word.length <= 3 ? 1 : 2) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
