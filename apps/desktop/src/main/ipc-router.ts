import type { ParsedControlCall } from '@coord/runner-core/control-api';
import { ControlClientError } from '@coord/runner-core/control-client';
import {
  isRelayed,
  parseDesktopCall,
  type DesktopError,
  type DesktopReply,
  type RelayedMethod,
} from '../shared/desktop-api.js';
import type { z } from 'zod';
import type { appCallSchema } from '../shared/desktop-api.js';

export type ParsedAppCall = z.output<typeof appCallSchema>;

/** What the router needs of an IPC event: who sent it (Electron's `IpcMainInvokeEvent` has both). */
export interface IpcSender {
  sender: { id: number };
  senderFrame: { url: string } | null;
}

export interface IpcHandlers {
  /** A control API call, relayed to the runner. */
  relay(call: Extract<ParsedControlCall, { method: RelayedMethod }>): Promise<unknown>;
  /** A call the app itself answers; `senderId` is the window that asked (for its pushes). */
  app(call: ParsedAppCall, senderId: number): Promise<unknown>;
}

export interface IpcRouterOptions {
  isTrusted(event: IpcSender): boolean;
  handlers: IpcHandlers;
  /** A refused message, for the app's log (never its payload: it may hold an answer's text). */
  onRefused?(why: string): void;
}

/**
 * The main process's side of `coord:invoke`: the sender is checked (only the app's own window, on
 * the app's own page), the payload is validated, and the answer always comes back as an envelope
 * (an error is data with a code and a hint, not an exception Electron would flatten to a string).
 */
export function createIpcRouter(options: IpcRouterOptions) {
  return async function handle(event: IpcSender, raw: unknown): Promise<DesktopReply> {
    if (!options.isTrusted(event)) {
      options.onRefused?.(`a call from an unknown sender (${event.senderFrame?.url ?? 'no frame'})`);
      return fail({ code: 'desktop.untrusted_sender', message: 'This window may not talk to the runner.' });
    }
    const parsed = parseDesktopCall(raw);
    if (!parsed.ok) {
      options.onRefused?.(`a malformed call: ${parsed.message}`);
      return fail({ code: 'desktop.bad_request', message: parsed.message });
    }
    const { call } = parsed;
    try {
      const result = isRelayed(call.method)
        ? await options.handlers.relay(call as Extract<ParsedControlCall, { method: RelayedMethod }>)
        : await options.handlers.app(call as ParsedAppCall, event.sender.id);
      return { ok: true, result };
    } catch (error) {
      return fail(toDesktopError(error));
    }
  };
}

const fail = (error: DesktopError): DesktopReply => ({ ok: false, error });

export function toDesktopError(error: unknown): DesktopError {
  if (error instanceof ControlClientError) {
    const { failure } = error;
    if (failure.kind === 'refused') return failure.error;
    if (failure.kind === 'no_runner') {
      return {
        code: 'desktop.no_runner',
        message: 'The runner is not running.',
        hint: 'Start it from the Status tab (sign in first if you have not).',
      };
    }
    return { code: 'desktop.failed', message: error.message };
  }
  return { code: 'desktop.failed', message: error instanceof Error ? error.message : String(error) };
}

/**
 * Only the app's window may call, and only from the app's own page: a frame navigated elsewhere
 * (a link that escaped, an injected iframe) is refused even inside the right window.
 */
export function trustedSender(pageUrl: string, windowIds: () => readonly number[]) {
  const page = new URL(pageUrl);
  return (event: IpcSender): boolean => {
    if (!windowIds().includes(event.sender.id) || !event.senderFrame) return false;
    let url: URL;
    try {
      url = new URL(event.senderFrame.url);
    } catch {
      return false;
    }
    return url.protocol === page.protocol && url.host === page.host && url.pathname === page.pathname;
  };
}
