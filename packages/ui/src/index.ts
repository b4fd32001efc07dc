import './styles.css';

export * from './log/log-entry.js';
export * from './log/log-source.js';
export * from './log/log-row.js';
export * from './log/agent-log-view.js';
export * from './interaction/interaction-card.js';
export * from './job/job-status.js';
export * from './job/job-card.js';
export * from './job/attempt-timeline.js';
export * from './job/format.js';
export * from './common/states.js';
export * from './common/theme.js';
