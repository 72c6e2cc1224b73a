/**
 * `tsgym view [--runs DIR --port N --host H --no-build --queue redis://HOST:PORT]`: serves the viewer with the
 * read-only runs API and prints the URL. With `--queue`, the comparison and study pages also show which of their
 * runs are queued, running on which worker, failed or done (read-only; render/server/queue-view.ts). The installed package serves the pages built into it; in this repository the viewer is
 * rebuilt when its build is missing or older than its sources. DIR may be a runs directory, a directory of
 * comparisons (`examples`), or one comparison directory.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { TsgymError } from '../../core/errors.js';
import { COMPARISON_FILES } from '../../formats/comparison.js';
import { commandLine } from '../../core/command-line.js';
import { checkReachable, parseQueueUrl } from '../queue/connection.js';

interface ViewArgs {
  runs: string;
  port: number;
  host: string;
  build: boolean;
  queue?: string;
}

export const viewCommand: CommandModule<object, ViewArgs> = {
  command: 'view',
  describe: 'Watch recorded episodes and learning curves in the browser (local server + pixi.js viewer)',
  builder: (y) =>
    y
      .option('runs', { type: 'string', requiresArg: true, default: 'runs', describe: 'Runs directory to serve (read-only); a comparison directory (tsgym compare) or a directory of them works too' })
      .option('port', { type: 'number', requiresArg: true, default: 5173, describe: 'Port to listen on (0 = any free port)' })
      .option('host', { type: 'string', requiresArg: true, default: '127.0.0.1', describe: 'Address to bind; keep the default unless you know you need another' })
      .option('build', { type: 'boolean', default: true, describe: 'Rebuild the viewer when its sources changed (--no-build: serve the existing build)' })
      .option('queue', { type: 'string', requiresArg: true, describe: "Also show the jobs of this queue (redis://HOST:PORT) on the comparison and study pages: queued, running on which worker, failed, done (read-only)" })
      .check((a) => {
        if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535) throw new TsgymError(`--port must be an integer from 0 to 65535, got ${a.port}`);
        if (a.queue !== undefined) parseQueueUrl(a.queue);
        return true;
      }),
  handler: async (args) => {
    const { buildViewer, viewerBuildIsStale, viewerSourcesPresent, DEFAULT_VIEWER_OUT_DIR } = await import('../../render/server/build-viewer.js');
    const { startServer } = await import('../../render/server/server.js');
    const { shownQueueUrl } = await import('../../render/server/queue-view.js');
    const runsDir = resolve(args.runs);
    const outDir = DEFAULT_VIEWER_OUT_DIR;

    if (!viewerSourcesPresent()) {
      // The installed package: its pages were built when it was packed.
      if (!existsSync(resolve(outDir, 'index.html'))) throw new TsgymError(`this tsgym package has no viewer pages (${outDir} is missing)`, { hint: 'reinstall tsgym; a package built with `npm run build` includes them' });
    } else if (args.build) {
      if (await viewerBuildIsStale(outDir)) {
        console.log('Building the viewer (vite)…');
        const t0 = performance.now();
        await buildViewer({ outDir });
        console.log(`Built into ${outDir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
    } else if (!existsSync(resolve(outDir, 'index.html'))) {
      throw new TsgymError(`--no-build was given but there is no viewer build in ${outDir}; run \`${commandLine('view')}\` without --no-build once`);
    }

    if (!existsSync(runsDir)) {
      console.warn(`Note: ${runsDir} does not exist yet; the viewer will list runs once training writes some (e.g. \`${commandLine('train', 'dqn cartpole')}\`).`);
    }
    if (args.queue) {
      // The viewer serves the files either way: an unreachable queue is a note, and the pages say so until it answers.
      await checkReachable(args.queue).catch((e: Error) => console.warn(`Note: ${e.message}; the comparison and study pages say "queue unreachable" until it answers.`));
    }
    const server = await startServer({ runsDir, port: args.port, host: args.host, staticDir: outDir, queue: args.queue });
    console.log(`tsgym viewer: ${server.url}  (runs from ${runsDir}${args.queue ? `; jobs of the queue ${shownQueueUrl(args.queue)}` : ''}; Ctrl+C to stop)`);
    if (existsSync(resolve(runsDir, COMPARISON_FILES.request))) {
      console.log(`${runsDir} is a comparison (tsgym compare): the viewer lists its runs/; its report is at ${server.url}compare.html`);
    }
    if (args.host !== '127.0.0.1' && args.host !== 'localhost' && args.host !== '::1') {
      console.warn(`Warning: bound to ${args.host}: anyone who can reach this address can read your runs directory.`);
    }

    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        server.close().then(done, done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};
