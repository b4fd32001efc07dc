import { coordProject } from '@coord/vitest-config';

export default coordProject('bench', { include: ['test/**/*.test.ts'] });
