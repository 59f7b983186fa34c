/**
 * Exit codes of `pra-ic`, distinct so cron jobs and monitoring can tell the cases apart (README,
 * "Exit codes of run --once"). Help and version exit 0; any other command exits 0 or ERROR.
 */
export const EXIT = {
  /** Done, and (run --once) every site caught up and every event delivered. */
  OK: 0,
  /** The command failed, or (run --once) a site failed or shipping stopped with events still queued. */
  ERROR: 1,
  /** run --once: every site caught up, but Elasticsearch rejected documents (kept as failed; fix the cause, then `pra-ic destination retry-failed`). */
  REJECTED: 3,
  /** Another process (the app, pra-ic run or ui) works on the data folder (sysexits' EX_TEMPFAIL: try again later, or use --wait). */
  IN_USE: 75,
} as const;
