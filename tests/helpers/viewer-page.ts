/** Driving the viewer page in Chromium the way a user does. */
import type { Page } from 'playwright-core';

/** Moves the timeline to `frame` as a drag does, and waits until the viewer shows that frame. */
export async function seekTimeline(page: Page, frame: number): Promise<void> {
  await page.evaluate((f) => {
    const t = document.getElementById('timeline') as HTMLInputElement;
    t.value = String(f);
    t.dispatchEvent(new Event('input', { bubbles: true }));
  }, frame);
  await page.waitForFunction((f) => (window.__tsgymViewer!.snapshot().frame as number) === f, frame);
}
