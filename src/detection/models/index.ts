// The model kinds vigil knows, by config name (detection.model.kind).
import type { ModelPlugin } from './plugin';
import { textPlugin } from './text-plugin';
import { yoloPlugin } from './yolo-plugin';

const PLUGINS: Record<string, ModelPlugin> = { yolo: yoloPlugin, text: textPlugin };

export function modelPlugin(kind: string): ModelPlugin {
  const p = PLUGINS[kind];
  if (!p) throw new Error(`detection.model.kind: unknown kind "${kind}"; known: ${Object.keys(PLUGINS).join(', ')}`);
  return p;
}
