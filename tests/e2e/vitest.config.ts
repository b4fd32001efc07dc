import { coordProject } from '@coord/vitest-config';

export default coordProject('e2e');
