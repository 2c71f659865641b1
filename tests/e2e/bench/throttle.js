// A TCP proxy that makes 127.0.0.1 look like a corporate VPN: a round trip of `rttMs` (half each
// way), and one downlink of `downBitsPerSecond` (and uplink of `upBitsPerSecond`) shared by every
// connection, served in turn slice by slice (a fair queue: a large file does not hold a small one
// back for its whole length, as TCP's congestion control would not let it either). A new
// connection also pays the TCP handshake: the browser's first bytes leave only one round trip
// after it connected, as after SYN and SYN-ACK. Not modelled: TCP slow start, loss, TLS.
// For the first-load benchmark (first-load.js).
'use strict';

const net = require('node:net');

/** Bytes put on the link at once: the fair queue's grain (about 3 ms at 10 Mbit/s). */
const SLICE = 4 * 1024;

/**
 * A link of `bitsPerSecond` that delivers each slice `delayMs` after it has been sent. Its queues,
 * one per connection, are served in turn. Time is kept virtually (performance.now() ms), so that
 * late timers do not add up.
 */
function makeLink(bitsPerSecond, delayMs) {
  const queues = []; // { slices: [{ data, readyAt, deliver }] }
  let freeAt = 0;
  let next = 0;
  let timer = null;

  function pump() {
    timer = null;
    const now = performance.now();
    for (;;) {
      const waiting = queues.filter((q) => q.slices.length);
      if (!waiting.length) return;
      // In turn, among the queues whose first slice has arrived by the time the link is free.
      const at = Math.max(freeAt, Math.min(...waiting.map((q) => q.slices[0].readyAt)));
      const ready = waiting.filter((q) => q.slices[0].readyAt <= at);
      const queue = ready[next++ % ready.length];
      const start = Math.max(freeAt, queue.slices[0].readyAt);
      if (start > now + 1) {
        timer = setTimeout(pump, start - now);
        return;
      }
      const slice = queue.slices.shift();
      freeAt = start + (slice.data.length * 8 * 1000) / bitsPerSecond;
      queue.schedule(freeAt + delayMs, slice.deliver);
    }
  }

  /** A queue's deliveries, in the order they were sent (separate timers could swap two). */
  function makeQueue() {
    const outbox = [];
    let flushTimer = null;
    const queue = { slices: [], lastDelivery: 0 };
    const flush = () => {
      flushTimer = null;
      while (outbox.length && outbox[0].at <= performance.now() + 0.5) outbox.shift().action();
      if (outbox.length) flushTimer = setTimeout(flush, outbox[0].at - performance.now());
    };
    queue.schedule = (at, action) => {
      queue.lastDelivery = Math.max(queue.lastDelivery, at);
      outbox.push({ at: queue.lastDelivery, action });
      if (!flushTimer) flush();
    };
    return queue;
  }

  return {
    /** A connection's queue: send(data, notBefore, deliver), then after(action) once sent. */
    queue() {
      const queue = makeQueue();
      queues.push(queue);
      return {
        send(data, notBefore, deliver) {
          const readyAt = Math.max(performance.now(), notBefore);
          for (let offset = 0; offset < data.length; offset += SLICE) {
            const slice = data.subarray(offset, offset + SLICE);
            queue.slices.push({ data: slice, readyAt, deliver: () => deliver(slice) });
          }
          clearTimeout(timer);
          pump();
        },
        /** Runs `action` after everything sent so far has been delivered (an end, a close). */
        after(action) {
          const wait = () => {
            if (queue.slices.length) return setTimeout(wait, 5);
            queue.schedule(performance.now() + delayMs, action);
          };
          wait();
        },
        remove() {
          queues.splice(queues.indexOf(queue), 1);
        },
      };
    },
  };
}

/**
 * Starts the proxy in front of `target` ({ host, port }); resolves with
 * { port, connections(), close() } once it listens on 127.0.0.1.
 */
function startThrottle({ target, rttMs, downBitsPerSecond, upBitsPerSecond = downBitsPerSecond }) {
  const down = makeLink(downBitsPerSecond, rttMs / 2);
  const up = makeLink(upBitsPerSecond, rttMs / 2);
  const sockets = new Set();
  let connections = 0;

  /** Forwards `from` to `to` over `link`, no byte leaving before `notBefore`. */
  function pipe(from, to, link, notBefore) {
    const queue = link.queue();
    from.on('data', (chunk) => queue.send(chunk, notBefore, (slice) => to.destroyed || to.write(slice)));
    from.on('end', () => queue.after(() => to.destroyed || to.end()));
    from.on('close', () =>
      queue.after(() => {
        to.destroy();
        queue.remove();
      }),
    );
    from.on('error', () => {});
  }

  const server = net.createServer((client) => {
    connections += 1;
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    // The handshake: the browser could have sent nothing before one round trip.
    pipe(client, upstream, up, performance.now() + rttMs);
    pipe(upstream, client, down, 0);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        connections: () => connections,
        close: () =>
          new Promise((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(done);
          }),
      }),
    );
  });
}

module.exports = { startThrottle };
