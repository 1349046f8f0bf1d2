// Stand-in programs on loopback ports for the doctor's tests: a foreign server, a silent one, aico's gateway.
import type { Server as HttpServer } from 'node:http';
import type { Server, Socket } from 'node:net';
import { freeTcpPort } from '@aico/bus/testing';

export interface StandIn {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on a free loopback port; close() also ends the connections the stand-in never ends itself. */
export async function listenOnFreePort(server: Server | HttpServer): Promise<StandIn> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    // A peer that resets a connection the stand-in already ended is no error of the stand-in (ECONNRESET).
    socket.on('error', () => undefined);
  });
  const port = await freeTcpPort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    port,
    close: () => {
      // A stand-in that does not read never sees its peer's end, so its connections would keep close() waiting.
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
