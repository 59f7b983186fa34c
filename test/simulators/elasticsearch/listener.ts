// The loopback listener (HTTP, or HTTPS with the test's key and certificate) and the outage switch:
// `down('refuse')` closes the listening socket and every open connection, so new connections get
// ECONNREFUSED; `down('reset')` keeps listening but destroys each connection as it arrives (ECONNRESET /
// "socket hang up"); `up()` listens again on the same port.

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';

export interface TlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  ca?: string | Buffer;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Listener {
  readonly port: number;
  readonly url: string;
  readonly state: 'up' | 'refuse' | 'reset';
  down(mode?: 'refuse' | 'reset'): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startListener(handler: Handler, opts: { tls?: TlsOptions; host?: string; port?: number }): Promise<Listener> {
  const host = opts.host ?? '127.0.0.1';
  const server: Server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert, ca: opts.tls.ca }, handler) : createHttpServer(handler);
  server.keepAliveTimeout = 60_000;
  const sockets = new Set<Socket>();
  let state: 'up' | 'refuse' | 'reset' = 'up';
  let closed = false;
  server.on('connection', (s: Socket) => {
    if (state === 'reset') {
      s.destroy();
      return;
    }
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // a client that drops mid-request must not crash the test process
  server.on('clientError', (_err, socket) => socket.destroy());

  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });

  await listen(opts.port ?? 0);
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('listener has no port');
  const port = address.port;
  const url = `${opts.tls ? 'https' : 'http'}://${host}:${port}`;

  return {
    port,
    url,
    get state() {
      return state;
    },
    async down(mode = 'refuse') {
      if (closed) return;
      state = mode;
      for (const s of sockets) s.destroy();
      if (mode === 'refuse') await stop();
    },
    async up() {
      if (closed) return;
      const wasRefusing = state === 'refuse';
      state = 'up';
      if (wasRefusing || !server.listening) await listen(port);
    },
    async close() {
      closed = true;
      await stop();
    },
  };
}
