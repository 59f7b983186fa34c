/**
 * One check for every secret that comes in: from standard input (the CLI) and through the contract
 * (the UI). A secret is one line of printable characters: a NUL would cut it short in the OS
 * keychain (C strings), and a line break, tab or other control character inside it is a paste or
 * pipe gone wrong (two lines, a file), not part of a key. Absurd lengths are refused too (a file
 * piped in by mistake). Messages never quote the secret. Pure: runs in the renderer too.
 */

/** Longer than any client secret, API key or password in use (Elastic's encoded keys are ~100 characters). */
export const MAX_SECRET_LENGTH = 4096;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * The secret without the line breaks around it (the newline `echo` adds, a pasted line end).
 * Spaces are kept: a password may begin or end with one.
 */
export function stripLineBreaks(value: string): string {
  return value.replace(/^[\r\n]+|[\r\n]+$/g, '');
}

/**
 * What is wrong with `value` as a secret (line breaks around it are allowed: they are dropped), or
 * null. `label` names it ("The client secret"); an empty value is a problem only when `required`.
 */
export function secretProblem(value: string, label: string, options: { required?: boolean } = {}): string | null {
  const trimmed = stripLineBreaks(value);
  if (trimmed.trim() === '') return options.required ? `${label} is empty: enter it (nothing was read).` : null;
  if (trimmed.length > MAX_SECRET_LENGTH) {
    return `${label} is too long (${trimmed.length.toLocaleString('en-US')} characters; at most ${MAX_SECRET_LENGTH.toLocaleString('en-US')}): give the secret alone, not a file.`;
  }
  if (CONTROL.test(trimmed)) {
    return `${label} contains a line break, tab, NUL or other control character: a secret is one line of printable characters. Give it again, alone.`;
  }
  return null;
}
