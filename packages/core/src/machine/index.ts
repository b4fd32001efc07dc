export {
  attemptMachine,
  attemptStateOf,
  type AttemptState,
  type AttemptMachine,
  type AttemptMachineContext,
  type AttemptMachineEvent,
  type AttemptMachineInput,
  type Finish,
  type Publication,
  type ReportInput,
} from './attempt-machine.js';
