import { coordProject } from '@coord/vitest-config';

export default coordProject('agents', { globalSetup: ['test/global-setup.ts'] });
