/**
 * The one way the browser tests start Chromium: Debian's /usr/bin/chromium, headless, with WebGL2 through
 * SwiftShader, and without the background networking this machine's closed network would refuse.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

/** A fresh browser profile with one page of the given size. */
export async function launchChromium(opts: { width: number; height: number; acceptDownloads?: boolean }): Promise<{ context: BrowserContext; page: Page }> {
  if (!existsSync(CHROMIUM)) throw new Error(`The browser test needs Chromium at ${CHROMIUM}; install it with \`apt-get install -y chromium\`.`);
  const context = await chromium.launchPersistentContext(await mkdtemp(join(tmpdir(), 'tsgym-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: opts.width, height: opts.height },
    deviceScaleFactor: 1,
    ...(opts.acceptDownloads ? { acceptDownloads: true } : {}),
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}
