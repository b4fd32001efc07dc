import type { ControlPush, ParsedControlCall } from '@coord/runner-core/control-api';
import {
  callRunner,
  openRunnerSubscription,
  type RunnerSubscription,
} from '@coord/runner-core/control-client';
import type { RunnerEvent } from '@coord/runner-core';
import type { DesktopPush, RelayedMethod } from '../shared/desktop-api.js';

type DesktopEventPayload = Extract<DesktopPush, { kind: 'event' }>['event'];

/** How the link reaches the runner: core's endpoint client (tests may pass another). */
export interface ControlClient {
  call: typeof callRunner;
  subscribe: typeof openRunnerSubscription;
}

export interface RunnerLinkOptions {
  stateDir: string;
  /** Sends a push to one window (a followed log) or to every window (`null`). */
  push(push: DesktopPush, windowId: number | null): void;
  /** Every runner event, for the app's own use (notifications, the tray). */
  onEvent?(event: RunnerEvent): void;
  client?: ControlClient;
}

/**
 * The main process's connection to its runner over the control endpoint: calls relayed as they
 * are, the runner's event stream fanned out to the windows, and log follows kept per window.
 * `connect()` is called each time the runner (re)starts; a runner that goes away just ends the
 * streams, and windows read the app state to know why.
 */
export function createRunnerLink(options: RunnerLinkOptions) {
  const client: ControlClient = options.client ?? { call: callRunner, subscribe: openRunnerSubscription };
  let events: RunnerSubscription | null = null;
  const follows = new Map<
    string,
    { windowId: number; subscription: RunnerSubscription | null; closed: boolean }
  >();

  return {
    relay(call: Extract<ParsedControlCall, { method: RelayedMethod }>): Promise<unknown> {
      return client.call(options.stateDir, call as never);
    },

    /** Follows the runner's events; resolves once subscribed (rejects when no runner answers). */
    async connect(): Promise<void> {
      events?.close();
      const subscription = await client.subscribe(
        options.stateDir,
        { topic: 'events' },
        (push: ControlPush) => {
          if (push.kind !== 'event') return;
          options.onEvent?.(push.event);
          // Pushed as the control API pushed it: plain JSON the renderer reads by its `type`.
          options.push({ kind: 'event', event: push.event as unknown as DesktopEventPayload }, null);
        },
      );
      events = subscription;
      void subscription.ended
        .catch(() => null)
        .finally(() => {
          if (events === subscription) events = null;
        });
    },

    connected: () => events !== null,

    /** A window follows one job's log: stored pages first, then live ones, until the attempt ends. */
    async follow(id: string, job: string, afterSeq: number, windowId: number): Promise<string> {
      if (follows.has(id)) throw new Error(`The log follow ${id} exists already.`);
      const entry = { windowId, subscription: null as RunnerSubscription | null, closed: false };
      follows.set(id, entry);
      try {
        const subscription = await client.subscribe(
          options.stateDir,
          { topic: 'log', job, afterSeq },
          (push) => {
            if (push.kind === 'log' && !entry.closed) {
              options.push({ kind: 'log', subscriptionId: id, page: push.page }, windowId);
            }
          },
        );
        entry.subscription = subscription;
        if (entry.closed) subscription.close();
        void subscription.ended
          .catch(() => null)
          .then((end) => {
            if (!entry.closed) {
              options.push(
                { kind: 'log.end', subscriptionId: id, reason: end?.reason ?? 'runner_stopped' },
                windowId,
              );
            }
            follows.delete(id);
          });
      } catch (error) {
        follows.delete(id);
        throw error;
      }
      return id;
    },

    unfollow(id: string): void {
      const entry = follows.get(id);
      if (!entry) return;
      entry.closed = true;
      entry.subscription?.close();
      follows.delete(id);
    },

    /** A window closed: its follows go with it. */
    forgetWindow(windowId: number): void {
      for (const [id, entry] of follows) if (entry.windowId === windowId) this.unfollow(id);
    },

    close(): void {
      events?.close();
      events = null;
      for (const id of [...follows.keys()]) this.unfollow(id);
    },
  };
}

export type RunnerLink = ReturnType<typeof createRunnerLink>;
