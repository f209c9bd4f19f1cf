import { connect } from 'node:net';

/** PostgreSQL's CancelRequest code (protocol 3.0, "1234 5678"). */
const CANCEL_REQUEST_CODE = 80877102;

/**
 * Asks PostgreSQL to cancel whatever the backend `pid` is running, the way
 * libpq's PQcancel does: a fresh connection that sends only the backend's
 * pid and secret key (no login, no pool slot), which the server answers by
 * closing. Never rejects: a cancel that cannot be delivered leaves the
 * statement to the server-side statement_timeout. Resolves true when the
 * request was written.
 */
export function sendCancelRequest(host: string, port: number, pid: number, secretKey: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const packet = Buffer.alloc(16);
    packet.writeInt32BE(16, 0);
    packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
    packet.writeInt32BE(pid, 8);
    packet.writeInt32BE(secretKey, 12);
    let sent = false;
    const socket = connect({ host, port });
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    timer.unref();
    // Like libpq, wait for the server to close the connection rather than
    // closing first: a proxy in between may drop a request whose sender is gone.
    socket.on('connect', () => {
      socket.write(packet, () => {
        sent = true;
      });
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(sent);
    });
  });
}
