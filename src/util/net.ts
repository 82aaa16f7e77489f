import type { Server } from 'node:net';

export interface BoundAddress {
  host: string;
  port: number;
}

/** Listen on host:port (0 = an ephemeral port); rejects with the listen error (e.g. EADDRINUSE). */
export function listenOn(server: Server, port: number, host: string): Promise<BoundAddress> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(boundAddress(server)!);
    });
  });
}

/** The address a listening server is bound to, or null when it is not listening. */
export function boundAddress(server: Server): BoundAddress | null {
  const a = server.address();
  return a && typeof a === 'object' ? { host: a.address, port: a.port } : null;
}
