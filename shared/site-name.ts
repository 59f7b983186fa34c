/**
 * How site names are compared, apart from the schema (site-schema.ts): the engine's site table
 * needs it at every start, and the schema's module brings zod (~35 ms to load and compile, built),
 * which only adding, editing or testing a site needs.
 */

/**
 * The key two site names are compared by: the same name whatever its case or Unicode form. NFKC
 * makes composed and decomposed letters (and compatibility forms such as full-width letters) one;
 * upper- then lower-casing is Unicode's full case folding for practical purposes (ß/SS/ss, final
 * sigma); a last NFKC makes the result canonical. SQLite's NOCASE folds ASCII letters only
 * (`Émile` and `émile` were two sites), so names are compared here, in JS, and never by SQL.
 */
export function siteNameKey(name: string): string {
  return name.trim().normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}
