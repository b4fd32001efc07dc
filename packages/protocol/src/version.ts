/** The major version of the runner protocol this package describes. */
export const PROTOCOL_VERSION = 1;

/** Header every client sends with its protocol major; the server rejects majors it does not speak. */
export const PROTOCOL_HEADER = 'Coord-Protocol';

/** Header a runner sends on attempt calls so that the server can check it still holds the lease. */
export const RUNNER_ID_HEADER = 'Coord-Runner-Id';
