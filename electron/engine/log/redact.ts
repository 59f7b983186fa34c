/**
 * Masks secrets in text (log lines, error messages). A secret long enough to be unmistakable is
 * masked wherever it appears; a short one only where it stands as a whole token (not inside a
 * longer word or number): a client secret "x" must not turn "Linux" into "Linu[secret]". Masking
 * inside words would garble text and, worse, point at the secret; a short secret found inside
 * another word is not a leak of it.
 */

/** From this length a secret is masked inside other text too. */
export const MIN_SUBSTRING_SECRET_LENGTH = 8;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Letters, digits and `_`: what a token is made of. */
const TOKEN_CHAR = '[\\p{L}\\p{N}_]';

export function redactSecrets(text: string, secrets: Iterable<string | null | undefined>, mask: string): string {
  // Longest first: a secret that contains another is masked whole.
  const list = [...new Set([...secrets].filter((s): s is string => typeof s === 'string' && s !== ''))].sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of list) {
    if (!out.includes(secret)) continue;
    if (secret.length >= MIN_SUBSTRING_SECRET_LENGTH) out = out.split(secret).join(mask);
    else out = out.replace(new RegExp(`(?<!${TOKEN_CHAR})${escapeRegExp(secret)}(?!${TOKEN_CHAR})`, 'gu'), mask);
  }
  return out;
}
