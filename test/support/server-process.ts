import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { ConfigSchema } from '../../src/config.js';

export type RunningProcess = {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

/** A port that was free a moment ago: good enough for a test on loopback. */
export async function findFreePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The environment for a child process: the test runner's, minus snip's own variables (Vite puts
 * `BASE_URL=/` into process.env), plus what the test sets.
 */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = { ...process.env };
  for (const key of Object.keys(ConfigSchema.shape)) {
    delete clean[key];
  }
  return { ...clean, ...env };
}

export function startProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
): RunningProcess {
  const child = spawn(command, args, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

/** Polls `GET /healthz` until it answers 200, the process exits, or the deadline passes. */
export async function waitForHealthy(
  port: number,
  proc: RunningProcess,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`server did not become healthy on port ${port}:\n${proc.output()}`);
}
