export { default } from '@coord/eslint-config';
