import { coordProject } from '@coord/vitest-config';

// One browser at a time: the build machines have two cores shared with other work.
export default coordProject('browser', { fileParallelism: false, testTimeout: 90_000, hookTimeout: 60_000 });
