import { secretProblem, stripLineBreaks } from '../../shared/secret-input.ts';
import type { TestStep } from '../../shared/site-test.ts';

/** Small helpers for the CLI's input and output. */

/** Reading stops here: far past any secret (MAX_SECRET_LENGTH), so a file piped in by mistake is not read whole. */
const MAX_STDIN_BYTES = 64 * 1024;

/**
 * Reads a secret from standard input: everything piped in (the line breaks around it, e.g. the
 * trailing newline of `echo`, dropped), or, on a terminal, one line typed without echo. Secrets
 * never come from arguments, which other users of the machine can read in the process list.
 * `label` ("The API key") names it in the messages; what is not a usable secret (empty, a NUL, a
 * line break inside it, too long) is refused by the one check every secret goes through.
 */
export async function readSecretFromStdin(prompt: string, label: string): Promise<string> {
  const value = await readRawSecret(prompt);
  const problem = secretProblem(value, `${label} (read from standard input)`, { required: true });
  if (problem) throw new Error(`${problem}${value.trim() === '' ? ' Pipe it in, e.g.' : ' For example:'} printf '%s' "$SECRET" | pra-ic …`);
  return stripLineBreaks(value);
}

async function readRawSecret(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stdin) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size > MAX_STDIN_BYTES) {
        stdin.destroy();
        break;
      }
    }
    return Buffer.concat(chunks).toString('utf8');
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  let value = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      const onData = (data: Buffer) => {
        for (const char of data.toString('utf8')) {
          if (char === '\r' || char === '\n') {
            stdin.off('data', onData);
            return resolve(value);
          }
          if (char === '\u0003') {
            stdin.off('data', onData);
            return reject(new Error('Cancelled.'));
          }
          if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
          else value += char;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

/**
 * Reads several secrets from standard input: piped, one per line in the order given (a secret
 * cannot hold a line break); on a terminal, each typed after its prompt without echo. One secret
 * alone is read as readSecretFromStdin does (everything piped in).
 */
export async function readSecretsFromStdin(prompts: string[]): Promise<string[]> {
  // "Backup password: " → "The backup password", to name it in a refusal.
  const label = (prompt: string) => `The ${prompt.replace(/:\s*$/, '').toLowerCase()}`;
  if (prompts.length <= 1 || process.stdin.isTTY) {
    const out: string[] = [];
    for (const prompt of prompts) out.push(await readSecretFromStdin(prompt, label(prompt)));
    return out;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const lines = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
  if (lines.length > prompts.length && lines.slice(prompts.length).every((l) => l === '')) lines.length = prompts.length;
  if (lines.length < prompts.length) {
    throw new Error(`Standard input holds ${lines.length} line(s); ${prompts.length} are expected, one per secret, in this order: ${prompts.map((p) => p.replace(/:\s*$/, '').toLowerCase()).join(', then ')}.`);
  }
  // Each line is checked as every secret is (shared/secret-input.ts).
  prompts.forEach((prompt, i) => {
    const problem = secretProblem(lines[i]!, `${label(prompt)} (line ${i + 1} of standard input)`);
    if (problem) throw new Error(problem);
  });
  return lines.slice(0, prompts.length);
}

/** A plain text table: columns padded to their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function printJson(value: unknown) {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** One step of a Test as the CLI prints it (the secret is never part of a step). */
export function printStep(step: TestStep) {
  if (step.status === 'running') return;
  const mark = step.status === 'ok' ? 'ok     ' : step.status === 'failed' ? 'FAILED ' : 'skipped';
  process.stdout.write(`${mark} ${step.title} (${step.durationMs} ms)\n        ${step.detail}\n`);
}

/** A short local time, or a dash. */
export function when(isoTime: string | null): string {
  if (!isoTime) return '-';
  const d = new Date(isoTime);
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)}Z`;
}

/**
 * Output piped into a reader that stops early (`| head`) fails with EPIPE, which would crash the
 * process with a stack trace in the middle of its work. The reader has all it wanted: later
 * output is dropped and the command finishes what it does (a run still stores and ships).
 */
export function quietOnClosedPipe() {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
      throw error;
    });
  }
}
