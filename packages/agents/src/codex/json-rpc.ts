import { z } from 'zod';

/**
 * JSON-RPC 2.0 as `codex app-server` speaks it over stdio: one JSON object per line, the
 * `"jsonrpc"` field left out (codex-rs/app-server/README.md). Both sides send requests: ours
 * (initialize, thread/start, turn/start...) get responses by id; the server's (approvals,
 * questions) must be answered by their id, which is a number or a string.
 */

export type RpcId = number | string;

export type RpcMessage =
  | { kind: 'response'; id: RpcId; result: unknown }
  | { kind: 'error'; id: RpcId | null; error: { code: number; message: string; data?: unknown } }
  | { kind: 'request'; id: RpcId; method: string; params: unknown }
  | { kind: 'notification'; method: string; params: unknown };

const idSchema = z.union([z.number(), z.string()]);
const errorSchema = z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() });
const messageSchema = z.object({
  id: idSchema.nullish(),
  method: z.string().optional(),
  params: z.unknown().optional(),
  result: z.unknown().optional(),
  error: errorSchema.optional(),
});

/** Classifies one line. Throws on what is not a JSON-RPC message (the driver warns and goes on). */
export function parseRpcLine(line: string): RpcMessage {
  const value: unknown = JSON.parse(line);
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
  const parsed = messageSchema.safeParse(value);
  if (!parsed.success) throw new Error('not a JSON-RPC message');
  const { id, method, params, error } = parsed.data;
  if (method !== undefined) {
    return id === undefined || id === null
      ? { kind: 'notification', method, params }
      : { kind: 'request', id, method, params };
  }
  if (error) return { kind: 'error', id: id ?? null, error };
  if (id !== undefined && id !== null && 'result' in value)
    return { kind: 'response', id, result: parsed.data.result };
  throw new Error('a JSON-RPC message with neither method, result nor error');
}

/** JSON-RPC's "method not found", for server requests this client does not implement. */
export const methodNotFound = -32601;

export const requestLine = (id: RpcId, method: string, params: unknown): string =>
  JSON.stringify({ method, id, params });
export const notificationLine = (method: string, params?: unknown): string =>
  JSON.stringify(params === undefined ? { method } : { method, params });
export const resultLine = (id: RpcId, result: unknown): string => JSON.stringify({ id, result });
export const errorLine = (id: RpcId, code: number, message: string): string =>
  JSON.stringify({ id, error: { code, message } });

/**
 * The client half: numbers our requests and remembers what each was for, so a response can be
 * matched to its request whatever order the server answers in.
 */
export class RpcClient<Purpose> {
  private nextId = 1;
  private readonly pending = new Map<RpcId, Purpose>();

  /** The line for a new request; `purpose` comes back with its response. */
  request(method: string, params: unknown, purpose: Purpose): string {
    const id = this.nextId;
    this.nextId += 1;
    this.pending.set(id, purpose);
    return requestLine(id, method, params);
  }

  /** What a response (or error) with this id answers; undefined for an id we never sent. */
  settle(id: RpcId | null): Purpose | undefined {
    if (id === null) return undefined;
    const purpose = this.pending.get(id);
    this.pending.delete(id);
    return purpose;
  }
}
