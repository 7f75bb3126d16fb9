/**
 * One port, two transports, as the contract of the emulator says: HTTP/2 over cleartext with prior
 * knowledge (h2c, what firebase-admin's default transport speaks once redirected here) and HTTP/1.1 (the
 * legacy transport, browsers, curl). A plain TCP server reads the first bytes of each connection: the
 * HTTP/2 connection preface ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") hands the socket to the HTTP/2 server,
 * anything else to the HTTP/1.1 one. The bytes read are put back first, so each server parses the
 * connection from its start.
 */
import type * as http from "node:http";
import type * as http2 from "node:http2";
import * as net from "node:net";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** "h2" once `head` is the preface, "http/1.1" once it cannot be, undefined while it may still be. */
export function transportOf(head: Buffer): "h2" | "http/1.1" | undefined {
  const compared = Math.min(head.length, PREFACE.length);
  if (!head.subarray(0, compared).equals(PREFACE.subarray(0, compared))) return "http/1.1";
  return compared === PREFACE.length ? "h2" : undefined;
}

export function dualTransportServer(http1: http.Server, h2: http2.Http2Server): net.Server {
  return net.createServer((socket) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const transport = transportOf(head);
      if (transport === undefined) return;
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.pause();
      socket.unshift(head);
      if (transport === "h2") {
        // The HTTP/2 session reads what is buffered itself (on the next tick), then the socket's handle.
        h2.emit("connection", socket);
      } else {
        http1.emit("connection", socket);
        socket.resume();
      }
    };
    // A connection closed before it said anything (a port probe) is nobody's.
    const onEnd = () => socket.destroy();
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", () => socket.destroy());
  });
}
