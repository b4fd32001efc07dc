import { describe, expect, it } from 'vitest';
import { secretsFromEnv } from './runner-secrets.js';

describe('secretsFromEnv', () => {
  it('takes the values of the API key and forge token variables that are set, and nothing else', () => {
    expect(
      secretsFromEnv({
        ANTHROPIC_API_KEY: 'sk-ant-123456',
        GITHUB_TOKEN: ' ghp_abcdef \n',
        OPENAI_API_KEY: '',
        PATH: '/usr/bin',
        HOME: '/home/u',
      }),
    ).toEqual(['sk-ant-123456', 'ghp_abcdef']);
  });
});
