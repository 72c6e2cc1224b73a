/**
 * The viewer server's limits, in one place. The server reads files that anyone with write access to the
 * runs directory can put there, and answers anyone who can reach its port, so every read and every
 * open stream is bounded: a file past its limit is a 413 naming the file and the limit, a stream past
 * its limit a 429.
 */

const MiB = 1024 * 1024;

/** Largest replay the server decodes, counted after gunzipping (a small gzip file can inflate to gigabytes). */
export const MAX_REPLAY_BYTES = 64 * MiB;

/** Largest JSON file the server parses whole: config.json, summary.json, values.json, report.json, agent.json, … */
export const MAX_JSON_FILE_BYTES = 16 * MiB;

/**
 * Most bytes of `metrics.jsonl` one `/metrics` answer covers; a longer file is paged (`?offset=`), and a
 * single line longer than this is refused.
 */
export const METRICS_PAGE_BYTES = 4 * MiB;

/** Open live streams (server-sent events) from one client address. */
export const MAX_LIVE_STREAMS_PER_CLIENT = 16;

/** Open live streams in total. */
export const MAX_LIVE_STREAMS = 64;

/** Checkpoints whose verification the server remembers (by directory, until a file in it changes). */
export const VERIFIED_CHECKPOINT_CACHE_ENTRIES = 32;

/**
 * Most jobs of each state (the newest) the viewer reads from the queue (`view --queue`); the counts cover all.
 * Finished jobs stay on the queue until `tsgym queue clean`, so a long-used queue can hold many.
 */
export const MAX_QUEUE_JOBS_PER_STATE = 1000;
