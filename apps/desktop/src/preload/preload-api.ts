import {
  answerSchemaOf,
  DesktopCallError,
  desktopPushSchema,
  desktopReplySchema,
  IPC,
  type DesktopApi,
  type DesktopPush,
} from '../shared/desktop-api.js';

/** The part of `ipcRenderer` the preload uses (the browser harness gives the same over HTTP). */
export interface RendererTransport {
  invoke(channel: string, payload: unknown): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): void;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): void;
}

/**
 * `window.coord`: typed calls and pushes over two channels. Answers and pushes are checked here
 * too, so a renderer never acts on a malformed message (a main process of another version); the
 * renderer gets plain data and errors, never the transport or its event objects.
 */
export function createPreloadApi(
  transport: RendererTransport,
  onInvalid: (why: string) => void = () => {},
): DesktopApi {
  const listeners = new Set<(push: DesktopPush) => void>();
  let attached = false;
  const relay = (_event: unknown, payload: unknown) => {
    const push = desktopPushSchema.safeParse(payload);
    if (!push.success) {
      onInvalid(`a push from the main process is malformed: ${push.error.message}`);
      return;
    }
    for (const listener of listeners) listener(push.data);
  };
  return {
    async call(call) {
      const raw = await transport.invoke(IPC.invoke, call);
      const reply = desktopReplySchema.safeParse(raw);
      if (!reply.success) {
        throw new DesktopCallError({
          code: 'desktop.failed',
          message: `The app answered something unreadable.`,
        });
      }
      if (!reply.data.ok) throw new DesktopCallError(reply.data.error);
      const result = answerSchemaOf(call.method).safeParse(reply.data.result);
      if (!result.success) {
        throw new DesktopCallError({
          code: 'desktop.failed',
          message: `The answer to ${call.method} is malformed: ${result.error.message}`,
        });
      }
      return result.data as never;
    },
    onPush(listener) {
      listeners.add(listener);
      if (!attached) {
        transport.on(IPC.push, relay);
        attached = true;
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && attached) {
          transport.removeListener(IPC.push, relay);
          attached = false;
        }
      };
    },
  };
}
