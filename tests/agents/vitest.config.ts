import { coordProject } from '@coord/vitest-config';

// Real CLIs start slowly (Gemini's bundle takes seconds to load): on two busy cores a turn can
// take well over the default 20 s without anything being wrong.
export default coordProject('agents-real', { testTimeout: 60_000, hookTimeout: 60_000 });
