// A second reporter for scripts/run-tests.mjs: when a test file's process ends badly (a signal, a
// non-zero exit without a failing test to show for it), node's spec reporter says only "test
// failed". CI shows the tail of the output, so this prints, after everything else, how each such
// process ended and the last lines it wrote to stderr: what tells a crash (SIGSEGV in a native
// module, an OOM kill) from an exit.
const TAIL_LINES = 15;

export default async function* testProcessReporter(source) {
  /** The last stderr lines of each file's process. */
  const stderr = new Map();
  const ended = [];
  for await (const event of source) {
    if (event.type === 'test:stderr') {
      const lines = stderr.get(event.data.file) ?? [];
      lines.push(...event.data.message.replace(/\n$/, '').split('\n'));
      stderr.set(event.data.file, lines.slice(-TAIL_LINES));
    } else if (event.type === 'test:fail') {
      const error = event.data.details?.error;
      // Only the failure node gives a file whose process ended badly carries these two.
      if (error && ('exitCode' in error || 'signal' in error) && event.data.name === event.data.file) {
        ended.push({ file: event.data.file, exitCode: error.exitCode, signal: error.signal });
      }
    }
  }
  for (const { file, exitCode, signal } of ended) {
    const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
    yield `\n✖ the test process of ${file} ${how}`;
    const lines = stderr.get(file) ?? [];
    yield lines.length === 0 ? '; it wrote nothing to stderr.\n' : `; the last lines it wrote to stderr:\n${lines.map((l) => `    ${l}`).join('\n')}\n`;
  }
}
