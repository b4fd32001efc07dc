import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { authorizationHeaderValue } from '../src/git-env.js';
import { serveOverHttp, type SmartHttpOrigin } from './helpers/smart-http-origin.js';
import { createFixture, forgeToken, type Fixture } from './workspace-fixture.js';

// The token is in the environment of the one git command that talks to the forge, and of the
// helpers git starts for it (git-remote-http): nowhere else on the machine, while that push runs.

let fx: Fixture | undefined;
let http: SmartHttpOrigin | undefined;
afterEach(async () => {
  await http?.close();
  await fx?.cleanup();
  fx = undefined;
  http = undefined;
});

const header = authorizationHeaderValue(forgeToken);
const needles = [forgeToken, header.slice('Basic '.length)].map((text) => Buffer.from(text));
const holds = (bytes: Buffer) => needles.some((needle) => bytes.includes(needle));

interface ProcessInfo {
  pid: number;
  ppid: number;
  argv: string[];
  argvHolds: boolean;
  envHolds: boolean;
}

async function processTable(): Promise<Map<number, ProcessInfo>> {
  const table = new Map<number, ProcessInfo>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    try {
      const [cmdline, environ, stat] = await Promise.all([
        readFile(`/proc/${pid}/cmdline`),
        readFile(`/proc/${pid}/environ`).catch(() => Buffer.alloc(0)),
        readFile(`/proc/${pid}/stat`, 'utf8'),
      ]);
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = cmdline.toString('utf8').split('\0').filter(Boolean);
      table.set(pid, { pid, ppid, argv, argvHolds: holds(cmdline), envHolds: holds(environ) });
    } catch {
      // The process ended while we looked.
    }
  }
  return table;
}

/** The git command this test process started that `pid` belongs to (itself or an ancestor), if any. */
function ourGitCommand(table: Map<number, ProcessInfo>, pid: number): string[] | null {
  for (let info = table.get(pid); info; info = table.get(info.ppid)) {
    if (info.ppid === process.pid) return basename(info.argv[0] ?? '') === 'git' ? info.argv.slice(1) : null;
  }
  return null;
}

async function filesUnder(dir: string): Promise<string[]> {
  const names = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  const files: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const info = await lstat(path).catch(() => null);
    if (info?.isFile()) files.push(path);
  }
  return files;
}

describe('the forge token during a push over https-like smart HTTP', () => {
  it('is in no argv, no file under the runner\u2019s directories, no log line; only the push holds it', async () => {
    fx = await createFixture();
    http = await serveOverHttp(fx.origin.dir, header);
    const repository = { ...fx.repository, cloneUrl: http.cloneUrl };
    const ws = await fx.port.prepare(fx.prepareInput({ repository }));
    await writeFile(join(ws.workDir, 'a.txt'), 'one\n');

    const held = http.holdNextPush();
    const publishing = fx.port.publish(fx.publishInput(ws, { repository }));
    await held; // the push is on the wire now, waiting for the server's answer

    const table = await processTable();
    const inArgv = [...table.values()].filter((p) => p.argvHolds);
    expect(inArgv.map((p) => p.argv.join(' '))).toEqual([]);
    const holders = [...table.values()].filter((p) => p.envHolds && p.pid !== process.pid);
    expect(holders.length).toBeGreaterThan(0); // the push itself: the scan can see a token
    for (const holder of holders) {
      expect({ pid: holder.pid, argv: holder.argv, command: ourGitCommand(table, holder.pid)?.[0] }).toEqual({
        pid: holder.pid,
        argv: holder.argv,
        command: 'push',
      });
    }
    const files = [
      ...(await filesUnder(fx.ctx.workspaceDir)),
      ...(await filesUnder(fx.ctx.mirrorsDir)),
      ...(await filesUnder(fx.ctx.home)),
    ];
    expect(files.length).toBeGreaterThan(20);
    const leaking: string[] = [];
    for (const file of files) if (holds(await readFile(file))) leaking.push(file);
    expect(leaking).toEqual([]);

    http.release();
    const result = await publishing;
    expect(result.kind).toBe('pull_request');
    expect(await fx.origin.tip(ws.branch)).not.toBeNull();
    // It did reach the forge, as a header, on the fetches and the push.
    expect(http.authorizations.length).toBeGreaterThan(2);
    expect(new Set(http.authorizations)).toEqual(new Set([header]));
    expect(holds(Buffer.from(fx.logs.join('\n')))).toBe(false);
  });
});
