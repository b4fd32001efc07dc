import { coordProject } from '@coord/vitest-config';

export default coordProject('agents-real');
