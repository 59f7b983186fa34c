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
 * (--max-old-space-size, --max-semi-space-size) would be ignored here.
 */
export const HEAP_GROWING_PERCENT = 10;

/** Applies HEAP_GROWING_PERCENT to this process (all its threads share V8's flags). Idempotent. */
export function limitHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
