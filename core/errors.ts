/** Base of every tsgym error: the message says what was wrong and how to fix it. */
export class TsgymError extends Error {
  override name = 'TsgymError';
}
