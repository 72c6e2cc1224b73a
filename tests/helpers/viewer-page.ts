/** Driving the viewer page in Chromium the way a user does. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { buildViewer } from '../../render/build-viewer.js';
import { startServer, type RunningServer } from '../../render/server.js';
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
