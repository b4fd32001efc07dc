import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A node process whose output says when it is ready (and what with); a failure says what it printed. */
export function startProcess(
  args: string[],
  readyWith: (output: string) => string | undefined,
): { ready: Promise<string>; stop(): Promise<void>; pid: number } {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = readyWith(output);
      if (found !== undefined) resolve(found);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() =>
      reject(
        new Error(`${args[0]} exited with ${child.exitCode ?? child.signalCode}: ${output.slice(-2000)}`),
      ),
    );
  });
  return {
    ready,
    pid: child.pid ?? 0,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The local server from its own bin, in a process of its own as a real Coord server would be:
 * the runners measured never share its thread.
 */
export async function startServerProcess(
  dataDir: string,
  options: { profileDir?: string } = {},
): Promise<{ url: string; token: string; stop(): Promise<void>; cpuMs(): number }> {
  const pkg = createRequire(import.meta.url).resolve('@coord/local-server/package.json');
  const server = startProcess(
    [
      // The server exits on SIGTERM, so node writes the profile.
      ...(options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : []),
      join(dirname(pkg), 'bin/coord-local-server.js'),
      '--data-dir',
      dataDir,
    ],
    (output) => /listening on (http:\/\/\S+)/.exec(output)?.[1],
  );
  try {
    const url = await server.ready;
    return {
      url,
      token: readFileSync(join(dataDir, 'token'), 'utf8').trim(),
      stop: server.stop,
      cpuMs: () => processCpuMs(server.pid),
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** CPU time (user + system) a process has used so far, from /proc (Linux; 0 elsewhere). */
export function processCpuMs(pid: number): number {
  try {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** USER_HZ: 100 on every Linux build node runs on. */
const CLOCK_TICKS_PER_S = 100;
