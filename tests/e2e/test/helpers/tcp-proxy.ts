import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy that can simulate a network outage: while down, it resets every open
 * connection and every new one, so clients see real ECONNRESET errors.
 */
export interface TcpProxy {
  url: string;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

/** `target` may be a function: the proxy can then start before the server it forwards to. */
export async function startTcpProxy(target: URL | (() => URL)): Promise<TcpProxy> {
  let isDown = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (isDown) {
      client.resetAndDestroy();
      return;
    }
    const to = typeof target === 'function' ? target() : target;
    const upstream = connect(Number(to.port), to.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    down() {
      isDown = true;
      for (const s of sockets) s.resetAndDestroy();
    },
    up() {
      isDown = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
