import { describe, expect, it } from 'vitest';
import { completeRequestSchema } from './completion.js';
import { toErrorIssues } from './errors.js';
import {
  cloneUrlSchema,
  jobSubmissionSchema,
  pullRequestRefSchema,
  relativePathSchema,
  repositorySchema,
  sparseDirectorySchema,
} from './job.js';

const valid = {
  title: 'Fix the bug',
  instructions: 'Please fix it.',
  context: {
    type: 'repository',
    repository: { cloneUrl: 'https://github.com/acme/app.git', owner: 'acme', name: 'app' },
  },
  agent: { id: 'claude-code' },
};

function issuesOf(input: unknown): string[] {
  const result = jobSubmissionSchema.safeParse(input);
  return result.success ? [] : toErrorIssues(result.error).map((i) => i.path);
}

describe('jobSubmissionSchema', () => {
  it('accepts a minimal repository job and fills the defaults', () => {
    const job = jobSubmissionSchema.parse(valid);
    expect(job.routing).toEqual({ mode: 'mine' });
    expect(job.status).toBe('ready');
    expect(job.maxAttempts).toBe(3);
  });

  it('names each bad field', () => {
    expect(issuesOf({ ...valid, title: '   ' })).toEqual(['title']);
    expect(issuesOf({ ...valid, context: { type: 'cloud' } })).toEqual(['context.type']);
    expect(issuesOf({ ...valid, agent: { id: 'gpt-wrapper' } })).toEqual(['agent.id']);
    expect(issuesOf({ ...valid, routing: { mode: 'runner' } })).toEqual(['routing.runnerName']);
    expect(issuesOf({ ...valid, maxAttempts: 1000 })).toEqual(['maxAttempts']);
    expect(issuesOf({ title: 'x' })).toEqual(expect.arrayContaining(['instructions', 'context', 'agent']));
  });

  it('needs a plan for the demo agent and validates its steps', () => {
    expect(issuesOf({ ...valid, agent: { id: 'demo' } })).toEqual(['agent.plan']);
    expect(
      issuesOf({ ...valid, agent: { id: 'demo', plan: [{ type: 'write', path: '../x', content: '' }] } }),
    ).toEqual(['agent.plan.0.path']);
    expect(issuesOf({ ...valid, agent: { id: 'demo', plan: [{ type: 'run', command: [] }] } })).toEqual([
      'agent.plan.0.command',
    ]);
    expect(issuesOf({ ...valid, agent: { id: 'demo', plan: [{ type: 'say', text: 'hi' }] } })).toEqual([]);
  });

  it('rejects a hostile base branch', () => {
    for (const baseBranch of ['--upload-pack=x', 'a..b', 'a b', 'refs//x', 'x.lock/', 'x@{1}']) {
      expect(
        issuesOf({
          ...valid,
          context: { ...valid.context, repository: { ...valid.context.repository, baseBranch } },
        }),
      ).toEqual(['context.repository.baseBranch']);
    }
  });
});

describe('cloneUrlSchema', () => {
  it.each([
    'https://github.com/acme/app.git',
    'ssh://git@github.com/acme/app.git',
    'git@github.com:acme/app.git',
    'http://127.0.0.1:4000/forge/git/local/app.git',
    'http://localhost:4000/forge/git/local/app.git',
  ])('accepts %s', (url) => expect(cloneUrlSchema.safeParse(url).success).toBe(true));

  it.each([
    'file:///etc/passwd',
    'ext::sh -c touch% /tmp/pwned',
    'http://example.com/app.git',
    'https://user:secret@github.com/acme/app.git',
    'https://token@github.com/acme/app.git',
    '--upload-pack=touch /tmp/x',
    'not a url',
  ])('refuses %s', (url) => expect(cloneUrlSchema.safeParse(url).success).toBe(false));
});

describe('relativePathSchema', () => {
  it.each(['a.txt', 'dir/b.md', 'a/.hidden'])('accepts %s', (p) =>
    expect(relativePathSchema.safeParse(p).success).toBe(true),
  );
  it.each(['/etc/passwd', '../x', 'a/../../b', 'C:/x', 'a\\b', ''])('refuses %s', (p) =>
    expect(relativePathSchema.safeParse(p).success).toBe(false),
  );
});

describe('sparseDirectorySchema', () => {
  it.each(['src', 'packages/app', 'a/.config', 'docs/v1.2'])('accepts %s', (p) =>
    expect(sparseDirectorySchema.safeParse(p).success).toBe(true),
  );
  it.each([
    '',
    '/src',
    'src/',
    'a//b',
    '../x',
    'a/../b',
    './a',
    '-x',
    'a/--cone',
    '#comment',
    'src/*',
    '!src',
    'a[0]',
    'a\\b',
    'a\nb',
  ])('refuses %j', (p) => expect(sparseDirectorySchema.safeParse(p).success).toBe(false));

  it('is optional on a repository, and a list of one to 100 directories when given', () => {
    const repository = { cloneUrl: 'https://github.com/acme/app.git', owner: 'acme', name: 'app' };
    expect(repositorySchema.parse(repository).sparse).toBeUndefined();
    expect(repositorySchema.parse({ ...repository, sparse: ['src', 'docs'] }).sparse).toEqual([
      'src',
      'docs',
    ]);
    expect(repositorySchema.safeParse({ ...repository, sparse: [] }).success).toBe(false);
    expect(repositorySchema.safeParse({ ...repository, sparse: ['../etc'] }).success).toBe(false);
  });
});

describe('completeRequestSchema', () => {
  it('requires an error for a failed outcome', () => {
    const result = completeRequestSchema.safeParse({ outcome: 'failed', lastSeq: 3 });
    expect(result.success).toBe(false);
    expect(toErrorIssues(result.error!).map((i) => i.path)).toEqual(['error']);
  });

  it('accepts a success with defaults', () => {
    expect(completeRequestSchema.parse({ outcome: 'succeeded', lastSeq: 0 })).toMatchObject({
      summary: '',
      pullRequest: null,
      outputs: null,
      error: null,
    });
  });
});

describe('pullRequestRefSchema', () => {
  const pr = (url: string) => ({ url, number: 1, branch: 'coord/x' });
  it('takes http and https links only', () => {
    for (const url of ['https://github.com/o/r/pull/1', 'http://127.0.0.1:4000/forge/local/r/pull/1']) {
      expect(pullRequestRefSchema.safeParse(pr(url)).success, url).toBe(true);
    }
    for (const url of [
      'javascript:alert(document.cookie)',
      'JavaScript://%0aalert(1)',
      'data:text/html,<script>x</script>',
      'file:///etc/passwd',
      'ftp://example.com/x',
      'https://example.com/a b',
      'https://user:secret@example.com/x',
      'not a url',
    ]) {
      expect(pullRequestRefSchema.safeParse(pr(url)).success, url).toBe(false);
    }
    // What is stored is the parsed URL, with the surrounding space and tabs a browser would drop.
    expect(pullRequestRefSchema.parse(pr(' https://example.com/a\tb')).url).toBe('https://example.com/ab');
  });
});
