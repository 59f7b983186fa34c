import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the JavaScript heap grow past what survived the last full collection, in percent.
 *
 * Extraction allocates fast (~9 KB of short-lived objects per event in parsing and row building
 * alone, sampled; ~13 KB with the network and the thread hand-over) while holding little
 * (15–50 MB live, see the README's benchmark). With V8's default growing factor (up to ×4 for a
 * busy process) the garbage between two full collections piled up to 150–330 MB of resident
 * memory; at 10 % the benchmark's peak went from ~220 to ~185 MB (quick corpus) for ~8 % of speed.
 *
 * It is a V8 flag because nothing else reaches that setting, and it is set at run time because the
 * desktop app cannot pass V8 flags to its own main process (Electron reads --js-flags only from the
 * command line that started it). V8 reads this flag every time it sizes the heap after a full
 * collection, so setting it late is safe; the flags that size the heap at start-up
 * (--max-old-space-size, --max-semi-space-size) would be ignored here. Changing flags once V8 runs
 * is allowed in both hosts: V8 can freeze its flags after start-up (changing one then is a fatal
 * error), and Node and Electron both start it with them left writable (`--no-freeze-flags-after-init`;
 * electron/electron#42414 keeps that so when a bad --js-flags is given).
 */
export const HEAP_GROWING_PERCENT = 10;

/**
 * Type feedback collected from a function's first call, not only once it has run a while
 * (V8's `--lazy-feedback-allocation`, on by default, saves memory in code that runs once or
 * twice).
 *
 * A `pra-ic run --once` lasts seconds, and its hot code (parsing, building documents, the store's
 * statements) is optimised within the first few hundred milliseconds. Lazily, a function only
 * starts recording types after some calls, so the optimising compiler compiled with less feedback
 * than it could have had, and code optimised early was thrown away ("insufficient type feedback")
 * and compiled again. Bench phase 5, flag set here at run time, 6 alternating pairs (12
 * measurements) without and with it: end to end 3.17 → 2.98 s, `pra-ic` CPU 3.70 → 3.50 s (medians),
 * faster in 9 of 12; VmHWM unchanged (169-183 / 169-181 MB). Set as a command-line flag in two
 * earlier sets: faster in 12 of 18.
 *
 * Set at run time for the same reason as the heap's growth: functions compiled from then on (the
 * engine's code is compiled at its first call, after this) allocate their feedback at once.
 */
const EAGER_FEEDBACK = '--no-lazy-feedback-allocation';

/**
 * Applies this module's settings to this process (all its threads share V8's flags): the heap's
 * growth, and type feedback from the first call. Idempotent.
 */
export function tuneV8(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  setFlagsFromString(EAGER_FEEDBACK);
}
