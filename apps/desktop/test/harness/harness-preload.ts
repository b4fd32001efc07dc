import { createPreloadApi, type RendererTransport } from '../../src/preload/preload-api.js';

/**
 * The preload's stand-in in a plain browser: the same `createPreloadApi`, over HTTP to the
 * harness server (which runs the real main-process router) instead of Electron's IPC.
 */
const listeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();
const source = new EventSource('/ipc/push');
source.onmessage = (message) => {
  const payload: unknown = JSON.parse(message.data as string);
  for (const listener of listeners.get('coord:push') ?? []) listener(null, payload);
};

const transport: RendererTransport = {
  async invoke(channel, payload) {
    const res = await fetch(`/ipc/invoke?channel=${encodeURIComponent(channel)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    return res.json();
  },
  on(channel, listener) {
    if (!listeners.has(channel)) listeners.set(channel, new Set());
    listeners.get(channel)!.add(listener);
  },
  removeListener(channel, listener) {
    listeners.get(channel)?.delete(listener);
  },
};

(window as unknown as { coord: unknown }).coord = createPreloadApi(transport, (why) => console.error(why));
