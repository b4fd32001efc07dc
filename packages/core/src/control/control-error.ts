import type { ControlErrorCode } from './control-api.js';

/** A refusal the control API answers as it is: its code, a message, and what to do next. */
export class ControlError extends Error {
  constructor(
    readonly code: ControlErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}
