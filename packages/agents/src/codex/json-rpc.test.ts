import { describe, expect, it } from 'vitest';
import { errorLine, parseRpcLine, requestLine, RpcClient } from './json-rpc.js';

describe('JSON-RPC framing (codex app-server: no "jsonrpc" field, one object per line)', () => {
  it('tells responses, errors, server requests and notifications apart', () => {
    expect(parseRpcLine('{"id":2,"result":{"thread":{"id":"t"}}}')).toEqual({
      kind: 'response',
      id: 2,
      result: { thread: { id: 't' } },
    });
    expect(parseRpcLine('{"id":2,"result":null}')).toEqual({ kind: 'response', id: 2, result: null });
    expect(parseRpcLine('{"error":{"code":-32600,"message":"no rollout"},"id":2}')).toEqual({
      kind: 'error',
      id: 2,
      error: { code: -32600, message: 'no rollout' },
    });
    expect(parseRpcLine('{"method":"item/tool/requestUserInput","id":"a-1","params":{}}')).toEqual({
      kind: 'request',
      id: 'a-1',
      method: 'item/tool/requestUserInput',
      params: {},
    });
    expect(parseRpcLine('{"method":"turn/started","params":{"x":1}}')).toEqual({
      kind: 'notification',
      method: 'turn/started',
      params: { x: 1 },
    });
    // A 2.0 field from another server is fine.
    expect(parseRpcLine('{"jsonrpc":"2.0","method":"x"}')).toMatchObject({ kind: 'notification' });
  });

  it('throws on what is not JSON-RPC (the driver turns it into a warning)', () => {
    for (const line of [
      '{"id":',
      '[1,2]',
      '"text"',
      'null',
      '{"id":1}',
      '{"method":5}',
      '{"id":{},"result":1}',
    ])
      expect(() => parseRpcLine(line), line).toThrow();
  });

  it('matches responses to requests by id, in any order, once', () => {
    const client = new RpcClient<string>();
    const a = JSON.parse(client.request('thread/start', { cwd: '/w' }, 'thread')) as { id: number };
    const b = JSON.parse(client.request('turn/start', {}, 'turn')) as { id: number };
    expect(a.id).not.toBe(b.id);
    expect(client.settle(b.id)).toBe('turn');
    expect(client.settle(a.id)).toBe('thread');
    expect(client.settle(a.id)).toBeUndefined();
    expect(client.settle(999)).toBeUndefined();
    expect(client.settle(null)).toBeUndefined();
  });

  it('writes lines without the jsonrpc field', () => {
    expect(requestLine(1, 'initialize', {})).toBe('{"method":"initialize","id":1,"params":{}}');
    expect(errorLine('x', -32601, 'no')).toBe('{"id":"x","error":{"code":-32601,"message":"no"}}');
  });
});
