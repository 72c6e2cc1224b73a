/** Moved to core/running-mean-std.ts; kept so existing imports keep working. */
export { RunningMeanStd, type RunningMeanStdState } from '../core/running-mean-std.js';
