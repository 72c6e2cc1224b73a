/** Driving the viewer page in Chromium the way a user does. */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { buildViewer } from '../../render/server/build-viewer.js';
import { startServer, type RunningServer } from '../../render/server/server.js';
import { launchChromium } from './chromium.js';

/** Moves the timeline to `frame` as a drag does, and waits until the viewer shows that frame. */
export async function seekTimeline(page: Page, frame: number): Promise<void> {
  await page.evaluate((f) => {
    const t = document.getElementById('timeline') as HTMLInputElement;
    t.value = String(f);
    t.dispatchEvent(new Event('input', { bubbles: true }));
  }, frame);
  await page.waitForFunction((f) => (window.__tsgymViewer!.snapshot().frame as number) === f, frame);
}

/** The viewer built into `<root>/dist`, a server on a free loopback port for `runsDir`, and a Chromium page. */
export interface ViewerSession {
  staticDir: string;
  server: RunningServer;
  context: BrowserContext;
  page: Page;
}

/**
 * Builds the viewer, serves `runsDir` (and the jobs of `queue`, when given) and opens Chromium at the given size; page errors are pushed onto
 * `pageErrors` (each test file asserts there were none).
 */
export async function openViewer(o: { root: string; runsDir: string; width: number; height: number; acceptDownloads?: boolean; pageErrors: string[]; queue?: string }): Promise<ViewerSession> {
  const staticDir = await buildViewer({ outDir: join(o.root, 'dist'), quiet: true });
  const server = await startServer({ runsDir: o.runsDir, port: 0, host: '127.0.0.1', staticDir, queue: o.queue });
  const { context, page } = await launchChromium({ width: o.width, height: o.height, acceptDownloads: o.acceptDownloads });
  page.on('pageerror', (e) => o.pageErrors.push(e.message));
  return { staticDir, server, context, page };
}

/** Closes what {@link openViewer} opened (whatever of it was opened) and removes `root`. */
export async function closeViewer(s: Partial<Pick<ViewerSession, 'context' | 'server'>>, root: string | undefined): Promise<void> {
  await s.context?.close();
  await s.server?.close();
  if (root) await rm(root, { recursive: true, force: true });
}

/** Picks `run`/`path` in the viewer's first episode picker and waits until that pane shows it. */
export async function pickEpisode(page: Page, run: string, path: string): Promise<void> {
  await page.selectOption('#pick-a', `${run}/${path}`);
  await page.waitForFunction(([r, p]) => {
    const v = window.__tsgymViewer;
    const pane = (v?.snapshot().panes as { selection?: { run: string; path: string } }[] | undefined)?.[0];
    return v?.busy === 0 && pane?.selection?.run === r && pane.selection.path === p;
  }, [run, path], { timeout: 20_000 });
}

/**
 * The play page of a describe block: the viewer opens before its tests (1100×800) and closes after them;
 * `prepare` may write runs into the served runs directory first.
 */
export interface PlayPage {
  page(): Page;
  server(): RunningServer;
  /** Page errors so far (each test asserts there were none). */
  pageErrors: string[];
  /** Opens play.html with this hash (`env=…&seed=…`) and waits until it is ready. */
  open(hash: string): Promise<void>;
  /** `window.__tsgymPlay.snapshot()`. */
  snapshot(): Promise<Record<string, any>>;
}

export function usePlayPage(name: string, prepare?: (runsDir: string) => Promise<void>): PlayPage {
  let root: string;
  let session: ViewerSession | undefined;
  const pageErrors: string[] = [];
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), `tsgym-${name}-`));
    await mkdir(join(root, 'runs'));
    await prepare?.(join(root, 'runs'));
    session = await openViewer({ root, runsDir: join(root, 'runs'), width: 1100, height: 800, pageErrors });
  }, 180_000);
  afterAll(async () => {
    await closeViewer(session ?? {}, root);
  });
  const page = () => session!.page;
  return {
    page,
    server: () => session!.server,
    pageErrors,
    async open(hash) {
      await page().goto('about:blank');
      await page().goto(`${session!.server.url}play.html#${hash}`);
      await page().waitForFunction(() => window.__tsgymPlay?.ready === true, null, { timeout: 30_000 });
    },
    snapshot: () => page().evaluate(() => window.__tsgymPlay!.snapshot()) as Promise<Record<string, any>>,
  };
}
