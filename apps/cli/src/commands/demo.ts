import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalServer } from '@coord/local-server';
import { createCoordClient, type PermissionMode, type RunnerEvent } from '@coord/runner-core';
import type { JobSubmission } from '@coord/runner-protocol';
import { createAgents } from '../agents.js';
import { composeRunner } from '../compose.js';
import { inquirerPrompter } from '../interactions/inquirer-prompter.js';
import { createInteractionDesk, type InteractionDesk } from '../interactions/interaction-desk.js';
import { renderEvent } from '../render.js';
import { terminalSafe } from '../terminal-text.js';

export type DemoAgentId = 'demo' | 'claude-code' | 'codex' | 'gemini';

/** How a person gets each real agent signed in, for the message when it is missing. */
const signIn: Record<Exclude<DemoAgentId, 'demo'>, string> = {
  'claude-code': 'sign in once (run `claude`) or set ANTHROPIC_API_KEY',
  codex: 'sign in once (run `codex login`) or set OPENAI_API_KEY',
  gemini: 'sign in once with Google (run `gemini`) or set GEMINI_API_KEY',
};

export async function runDemo(options: {
  keep: boolean;
  agent: DemoAgentId;
  permissionMode: PermissionMode;
}): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), 'coord-demo-'));
  const color = process.stdout.isTTY === true;
  if (options.agent !== 'demo') {
    // A real agent must be here before anything starts: say what to install, and stop.
    const agent = createAgents({ stateDir: join(root, 'runner') }).find((a) => a.id === options.agent)!;
    const detected = await agent.detect();
    if (detected.state !== 'detected') {
      process.stderr.write(
        `${agent.displayName} is ${detected.state === 'not_found' ? 'not installed here' : 'not supported here'}${detected.hint ? `: ${detected.hint}` : ''}.\n` +
          `Then ${signIn[options.agent]}, and run the demo again.\n`,
      );
      rmSync(root, { recursive: true, force: true });
      return 1;
    }
  }
  // Lines built from the server's answers; rendered events are already safe (and coloured).
  const say = (line: string) => process.stdout.write(`${terminalSafe(line)}\n`);
  const server = await startLocalServer({ dataDir: join(root, 'server') });
  try {
    say(`Local Coord server: ${server.url} (data in ${root})`);
    const repo = await createSampleRepository(server.url, server.token);
    say(`Sample repository: ${repo.fullName} (${repo.cloneUrl})`);

    const client = createCoordClient({ baseUrl: server.url, token: server.token });
    const job = await client.submitJob(
      'local',
      options.agent === 'demo' ? demoJob(repo) : agentJob(repo, options.agent),
    );
    say(
      `Submitted job ${job.id}: "${job.spec.title}" (agent: ${options.agent === 'demo' ? 'demo, a scripted agent, no AI' : options.agent})\n`,
    );

    const runner = composeRunner({
      server: server.url,
      token: server.token,
      stateDir: join(root, 'runner'),
      name: 'demo-runner',
      permissions: { mode: options.permissionMode },
    });
    // A real agent's approvals and questions are asked here (or on the server's web page).
    const desk: InteractionDesk | null =
      options.agent !== 'demo' && color && process.stdin.isTTY === true
        ? createInteractionDesk({
            answer: (id, answer) => runner.answer(id, answer),
            prompter: inquirerPrompter,
            write: (text) => process.stdout.write(text),
            color,
            onInterrupt: () => void runner.stop({ mode: 'graceful' }),
          })
        : null;
    const finished = new Promise<Extract<RunnerEvent, { type: 'job.finished' }>>((resolve) => {
      runner.events$.subscribe((event) => {
        const line = renderEvent(event, { color });
        if (line !== null) {
          if (desk) desk.print(line);
          else process.stdout.write(`${line}\n`);
        }
        desk?.onEvent(event);
        if (event.type === 'job.finished' && event.jobId === job.id) resolve(event);
      });
    });
    await runner.start();
    const result = await finished;
    desk?.close();
    await runner.stop();

    if (result.outcome !== 'succeeded' || !result.pullRequest) {
      say(`\nThe demo job ended ${result.outcome}${result.error ? `: ${result.error.message}` : ''}`);
      return 1;
    }
    const pull = await getPull(server.url, server.token, repo, result.pullRequest.number);
    say('');
    say(`Pull request #${pull.number}: ${pull.html_url}`);
    say(`  ${pull.head.ref} -> ${pull.base.ref}`);
    say(
      `  ${pull.changed_files} file${pull.changed_files === 1 ? '' : 's'} changed, ${pull.additions} insertion${pull.additions === 1 ? '' : 's'}(+), ${pull.deletions} deletion${pull.deletions === 1 ? '' : 's'}(-)`,
    );
    if (options.keep) {
      say(`\nServing ${server.url} until Ctrl-C (data kept in ${root}).`);
      say(
        `Open the pull request in a browser and sign in with the token in ${join(root, 'server', 'token')}.`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }
    return 0;
  } finally {
    await server.close();
    if (!options.keep) rmSync(root, { recursive: true, force: true });
  }
}

interface SampleRepository {
  owner: string;
  name: string;
  fullName: string;
  cloneUrl: string;
  defaultBranch: string;
}

async function forgeFetch(
  url: string,
  token: string,
  init: { method: string; body?: unknown },
): Promise<unknown> {
  const response = await fetch(url, {
    method: init.method,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json',
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const json = (await response.json().catch(() => null)) as { message?: string } | null;
  if (!response.ok)
    throw new Error(
      `${init.method} ${new URL(url).pathname} failed with ${response.status}: ${json?.message ?? ''}`,
    );
  return json;
}

async function createSampleRepository(serverUrl: string, token: string): Promise<SampleRepository> {
  const repo = (await forgeFetch(`${serverUrl}/forge/api/user/repos`, token, {
    method: 'POST',
    body: { name: 'demo-app', auto_init: true, description: 'Sample repository for coord-runner demo' },
  })) as {
    name: string;
    full_name: string;
    owner: { login: string };
    clone_url: string;
    default_branch: string;
  };
  return {
    owner: repo.owner.login,
    name: repo.name,
    fullName: repo.full_name,
    cloneUrl: repo.clone_url,
    defaultBranch: repo.default_branch,
  };
}

interface Pull {
  number: number;
  html_url: string;
  head: { ref: string };
  base: { ref: string };
  additions: number;
  deletions: number;
  changed_files: number;
}

async function getPull(
  serverUrl: string,
  token: string,
  repo: SampleRepository,
  number: number,
): Promise<Pull> {
  return (await forgeFetch(`${serverUrl}/forge/api/repos/${repo.owner}/${repo.name}/pulls/${number}`, token, {
    method: 'GET',
  })) as Pull;
}

/** The same task for a real agent: instructions only, no plan. */
function agentJob(repo: SampleRepository, agent: Exclude<DemoAgentId, 'demo'>): JobSubmission {
  const { plan: _plan, ...job } = demoJob(repo).agent;
  return {
    ...demoJob(repo),
    instructions:
      'Add src/greeting.js exporting greet(name), which returns `Hello, ${name}!`, and a test in ' +
      'test/greeting.test.mjs that checks it with node:assert. Run the test with node to show it passes. ' +
      'Keep it small: no dependencies, no other files.',
    agent: { ...job, id: agent },
  };
}

function demoJob(repo: SampleRepository): JobSubmission {
  return {
    title: 'Add a greeting module with a test',
    instructions: 'Add src/greeting.js exporting greet(name), and a test for it; run the test.',
    context: {
      type: 'repository',
      repository: {
        cloneUrl: repo.cloneUrl,
        owner: repo.owner,
        name: repo.name,
        baseBranch: repo.defaultBranch,
      },
    },
    agent: {
      id: 'demo',
      plan: [
        { type: 'say', text: 'I will add a greeting module and its test, then run the test.' },
        {
          type: 'write',
          path: 'src/greeting.js',
          content: 'export function greet(name) {\n  return `Hello, ${name}!`;\n}\n',
        },
        {
          type: 'write',
          path: 'test/greeting.test.mjs',
          content:
            "import assert from 'node:assert/strict';\nimport { greet } from '../src/greeting.js';\n\nassert.equal(greet('Coord'), 'Hello, Coord!');\nconsole.log('greeting test passed');\n",
        },
        { type: 'run', command: [process.execPath, 'test/greeting.test.mjs'] },
        {
          type: 'say',
          text: 'Added src/greeting.js with greet(name) and a passing test in test/greeting.test.mjs.',
        },
      ],
    },
    routing: { mode: 'mine' },
  };
}
