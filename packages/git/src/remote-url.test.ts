import { describe, expect, it } from 'vitest';
import { mirrorDirectoryName, parseCloneUrl, remoteDisplayName } from './remote-url.js';

describe('parseCloneUrl', () => {
  it.each([
    ['https://github.com/acme/widgets.git', 'https', 'github.com', 'acme/widgets.git'],
    ['ssh://git@github.com/acme/widgets.git', 'ssh', 'github.com', 'acme/widgets.git'],
    ['ssh://git@ghe.example.com:2222/acme/widgets.git', 'ssh', 'ghe.example.com', 'acme/widgets.git'],
    ['git@github.com:acme/widgets.git', 'ssh', 'github.com', 'acme/widgets.git'],
    ['http://127.0.0.1:8080/git/acme/widgets.git', 'http', '127.0.0.1', 'git/acme/widgets.git'],
    ['http://localhost/acme/widgets', 'http', 'localhost', 'acme/widgets'],
    ['http://[::1]:9/acme/widgets', 'http', '[::1]', 'acme/widgets'],
  ])('accepts %s', (url, protocol, host, path) => {
    expect(parseCloneUrl(url)).toEqual({ url, protocol, host, path });
  });

  it.each([
    '',
    '-x',
    '--upload-pack=x',
    'ext::sh',
    'fd::3',
    'git://github.com/acme/widgets',
    'ftp://example.com/x',
    '/srv/repo.git',
    './repo',
    'C:\\repo',
    'file:///srv/repo.git',
    'https://user:pass@github.com/acme/widgets',
    'https://tok@github.com/acme/widgets',
    'http://10.0.0.1/acme/widgets',
    'https://github.com/',
    'https://github.com/acme/widgets\n',
    'git@-oProxyCommand=x:acme/widgets',
    'git@github.com:-acme/widgets',
    'ssh://-oProxyCommand=x/acme',
    'x'.repeat(2049),
  ])('refuses %j', (url) => {
    expect(() => parseCloneUrl(url)).toThrow(expect.objectContaining({ code: 'git.invalid_remote' }));
  });

  it('accepts file: only when allowed, and only as file:///path', () => {
    expect(parseCloneUrl('file:///srv/repo.git', { allowFileRemotes: true }).protocol).toBe('file');
    expect(() => parseCloneUrl('file://host/srv/repo.git', { allowFileRemotes: true })).toThrow(
      /file:\/\/\/absolute/,
    );
  });

  it('never repeats a credential in its error', () => {
    for (const url of ['https://user:s3cretvalue@github.com/a/b', 'ssh://git:s3cretvalue@github.com/a/b']) {
      expect(() => parseCloneUrl(url)).toThrow(
        expect.not.objectContaining({ message: expect.stringContaining('s3cretvalue') }),
      );
    }
  });
});

describe('mirrorDirectoryName', () => {
  it('is a readable slug plus a hash, the same for the same repository', () => {
    const a = mirrorDirectoryName(parseCloneUrl('https://github.com/Acme/Widgets.git'));
    expect(a).toMatch(/^acme-widgets-[0-9a-f]{16}\.git$/);
    expect(mirrorDirectoryName(parseCloneUrl('https://GitHub.com/Acme/Widgets'))).toBe(a);
    expect(mirrorDirectoryName(parseCloneUrl('https://gitlab.com/Acme/Widgets.git'))).not.toBe(a);
  });

  it('keeps path tricks out of the name', () => {
    const name = mirrorDirectoryName(parseCloneUrl('https://example.com/../../etc/passwd'));
    expect(name).not.toContain('/');
    expect(name.startsWith('.')).toBe(false);
  });

  it('names the repository in log lines without the URL', () => {
    expect(remoteDisplayName(parseCloneUrl('git@github.com:acme/widgets.git'))).toBe('acme/widgets');
  });
});
