/** Checks, before anything starts, that every port the cluster needs can be bound on 127.0.0.1. */
import { createServer } from "node:net";

/** A port that cannot be bound, and why. */
export interface PortProblem {
  readonly port: number;
  /** The error code (`EADDRINUSE`, `EACCES`, …). */
  readonly code: string;
}

/** Binds 127.0.0.1:`port` and releases it; the error code if the bind fails. */
function tryBind(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** The first of `ports` that cannot be bound on 127.0.0.1, or undefined if all can. */
export async function firstUnavailablePort(ports: readonly number[]): Promise<PortProblem | undefined> {
  for (const port of ports) {
    const code = await tryBind(port);
    if (code !== undefined) return { port, code };
  }
  return undefined;
}

/** The message for a port the cluster cannot use, with what to do about it. */
export function describePortProblem(problem: PortProblem, ports: readonly number[]): string {
  const range = `${ports[0]}-${ports[ports.length - 1]}`;
  const what =
    problem.code === "EADDRINUSE"
      ? `is in use (another program listens on 127.0.0.1:${problem.port})`
      : `cannot be used (binding 127.0.0.1:${problem.port} failed with ${problem.code})`;
  return (
    `Cannot start the cluster: port ${problem.port} ${what}; ` +
    `the cluster needs ports ${range}. Stop that program, or pick other ports with --base-port ` +
    `(e.g. npm start -- --base-port ${suggestedBasePort(ports)}).`
  );
}

/** A base port past the requested range (for the hint only; it is not checked). */
function suggestedBasePort(ports: readonly number[]): number {
  const next = ports[0] + 100;
  return next + ports.length - 1 <= 65535 ? next : 7001;
}
