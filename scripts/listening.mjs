// Whether something listens at "host:port": the scripts run against `npm start` and report a down
// emulator at once, by name, instead of after a client SDK's retries.
import net from "node:net";

export function listening(hostPort) {
  const [host, port] = hostPort.split(":");
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port), timeout: 1_000 });
    socket.once("connect", () => socket.end(() => resolve(true)));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(false));
  });
}
