/** The fallback for a render state kind no scene draws: says so, and which kinds exist. */
import { Container, Graphics, Text } from 'pixi.js';
import type { Scene, SceneContext } from './scene.js';

export function unknownScene(ctx: SceneContext, knownKinds: string[]): Scene {
  const root = new Container();
  const bg = new Graphics();
  const kind = ctx.frames[0]?.kind ?? '(none)';
  const text = new Text({
    text: `No scene draws render kind '${kind}' (env ${ctx.replay.envId}).\nScenes exist for: ${knownKinds.join(', ')}.\nThe HUD, timeline and learning curve still work.`,
    style: { fontFamily: 'system-ui, sans-serif', fontSize: 15, fill: 0x8a1c1c, align: 'center', wordWrap: true, wordWrapWidth: 400 },
  });
  text.anchor.set(0.5);
  root.addChild(bg, text);
  let lastKey = '';
  return {
    kind,
    stepsPerSecond: 10,
    root,
    actionLabels: () => null,
    overlays: () => ({}),
    setOverlay: () => {},
    draw(_frame, width, height) {
      const key = `${width}x${height}`;
      if (key === lastKey) return;
      lastKey = key;
      bg.clear().rect(0, 0, width, height).fill(0xfbeaea);
      text.style.wordWrapWidth = Math.max(120, width - 40);
      text.position.set(width / 2, height / 2);
    },
    probe: () => ({ kind, marker: null, unknown: true, message: text.text }),
    destroy: () => root.destroy({ children: true }),
  };
}
