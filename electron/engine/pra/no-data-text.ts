/**
 * Recognising what an `<error>` of the PRA reporting API means, from its text alone.
 *
 * PRA answers "nothing matched your filter" and real failures the same way: HTTP 200 with an
 * `<error>` element, whose text is LOCALIZED to the site's language and has no stable code.
 * BeyondTrust does not publish those strings, so recognition is by key phrases.
 *
 * How {@link isNoDataText} decides, exactly:
 * 1. The text is normalised by {@link normalizeErrorText}: Unicode NFKD (so full-width forms and
 *    composed/decomposed accents compare equal), combining marks removed (so "donnée", "donnee" and
 *    "DONNÉE" compare equal), Turkish dotless `ı` folded to `i`, typographic apostrophes to `'`,
 *    lower-cased, every run of whitespace (including no-break spaces) collapsed to one space, trimmed.
 * 2. It is "no data" when the normalised text CONTAINS (substring, not whole-text equality) at least
 *    one phrase of {@link NO_DATA_PHRASES} (the phrases are normalised the same way),
 * 3. AND it does not look like a permission problem ({@link isPermissionDeniedText}): a text such as
 *    "No data: access denied" stays an error, because skipping it would silently lose data.
 *
 * Limits (deliberate):
 * - Only the languages below are known. A "no data" text in another language, or a wording that
 *   BeyondTrust changes in a later release, is NOT recognised: the caller then sees a `ReportError`
 *   carrying the text. That is the safe direction (a visible error the admin can report, never a
 *   real failure silently taken for an empty result); add the new phrase to the list.
 * - Matching is by substring, so an unrelated error that happens to contain a phrase such as
 *   "no data" is taken for "no data" (unless it also mentions permissions). The phrases are chosen
 *   to be specific to "nothing to report" wordings; plain "not found" is deliberately absent
 *   (it is also how a wrong URL or an unknown report type would be described).
 * - Scripts written without spaces (Japanese, Chinese) are matched on short noun+negation phrases.
 */

/**
 * Key phrases of PRA's localized "no data matches" errors, by language. Written naturally (accents,
 * case); compared after {@link normalizeErrorText}.
 */
export const NO_DATA_PHRASES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  // The first two: PRA's own wording, "No Support report information matching your chosen criteria
  // is available." (as seen by other collectors, e.g. SEKOIA's BeyondTrust connector).
  en: ['report information matching your chosen criteria', 'no support report information', 'no data', 'no sessions', 'no session found', 'no session matche', 'no results', 'no result found', 'no records', 'no matching data', 'no matching session', 'no matching record', 'nothing matches', 'did not match any'],
  de: ['keine support-berichtsinformationen', 'berichtsinformationen verfügbar', 'keine daten', 'keine sitzung', 'keine ergebnisse', 'keine einträge', 'keine übereinstimmung', 'keine passenden'],
  fr: ['aucune information de rapport', 'aucune donnée', 'aucune session', 'aucun résultat', 'aucun enregistrement', 'aucune correspondance', 'pas de données', 'pas de session'],
  es: ['no hay información de informes', 'no hay datos', 'ningún dato', 'sin datos', 'no hay sesiones', 'ninguna sesión', 'ningún resultado', 'no se encontraron datos', 'no se encontraron sesiones', 'no existen datos'],
  it: ['non sono disponibili informazioni sui report', 'nessun dato', 'nessuna sessione', 'nessun risultato', 'non ci sono dati', 'dati non trovati', 'nessuna corrispondenza'],
  nl: ['geen informatie over ondersteuningsrapporten', 'geen gegevens', 'geen data', 'geen sessie', 'geen resultaten', 'geen overeenkomst'],
  pt: ['nenhum dado', 'nenhuma sessão', 'nenhum resultado', 'nenhum registro', 'não há dados', 'sem dados', 'não foram encontrados dados'],
  ja: ['レポート情報はありません', 'データがありません', 'データはありません', 'データが見つかりません', '該当するデータ', '一致するデータ', 'セッションがありません', '結果がありません'],
  'zh-Hans': ['没有数据', '无数据', '暂无数据', '没有匹配', '匹配的数据', '没有会话', '无会话', '未找到数据', '没有找到数据'],
  'zh-Hant': ['沒有資料', '無資料', '沒有數據', '無數據', '沒有符合', '沒有相符', '符合的資料', '沒有工作階段', '找不到資料'],
  ko: ['데이터가 없', '데이터 없음', '일치하는 데이터', '세션이 없', '결과가 없'],
  sv: ['inga data', 'ingen data', 'inga sessioner', 'ingen session', 'inga resultat', 'inga träffar'],
  fi: ['ei tietoja', 'ei dataa', 'ei istuntoja', 'ei tuloksia', 'tietoja ei löytynyt'],
  pl: ['brak danych', 'brak sesji', 'brak wyników', 'nie znaleziono danych'],
  ru: ['нет данных', 'данные не найдены', 'данных не найдено', 'нет сеансов', 'нет сессий', 'ничего не найдено'],
  tr: ['veri yok', 'veri bulunamadı', 'oturum yok', 'oturum bulunamadı', 'sonuç yok', 'sonuç bulunamadı', 'eşleşen veri'],
  // Languages PRA may also be installed in: cheap to recognise, same rules.
  da_no: ['ingen sessioner', 'ingen resultater', 'ingen økter'],
  cs: ['žádná data', 'žádné údaje', 'žádné relace', 'žádné výsledky'],
  hu: ['nincs adat', 'nincsenek adatok', 'nincs találat'],
});

/**
 * Key phrases saying the API account lacks a permission or is not authorised (used for
 * `ReportError.permissionDenied` and to keep such texts from counting as "no data").
 * Authentication failures ("Authentication failed", bad token) are deliberately NOT here:
 * they are not a missing permission.
 */
export const PERMISSION_PHRASES: readonly string[] = Object.freeze([
  // en
  'permission', 'not authorized', 'not authorised', 'unauthorized', 'unauthorised', 'not allowed', 'access denied', 'access is denied', 'forbidden', 'insufficient privilege', 'insufficient right', 'does not have access', 'do not have access', "don't have access",
  // de
  'berechtigung', 'nicht berechtigt', 'nicht autorisiert', 'zugriff verweigert', 'keine zugriffsrechte',
  // fr
  'autorisation', 'non autorisé', "droits d'accès", 'accès refusé', 'accès interdit',
  // es
  'permiso', 'no autorizado', 'acceso denegado', 'sin autorización',
  // it
  'permesso', 'autorizzazione', 'non autorizzato', 'accesso negato',
  // nl
  'toestemming', 'machtiging', 'geen toegang', 'niet gemachtigd', 'bevoegd',
  // pt
  'permissão', 'permissões', 'não autorizado', 'acesso negado',
  // ja, zh, ko
  '権限', 'アクセスが拒否', '权限', '權限', '拒绝访问', '拒絕存取', '권한', '액세스가 거부',
  // sv, fi, pl, ru, tr
  'behörighet', 'åtkomst nekad', 'käyttöoikeu', 'ei oikeutta', 'uprawnie', 'brak dostępu', 'odmowa dostępu', 'нет прав', 'недостаточно прав', 'доступ запрещ', 'нет доступа', 'yetki', 'izniniz yok', 'erişim reddedildi',
]);

/** The normalisation both sides of every comparison go through (see the module comment). */
export function normalizeErrorText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/\u0131/g, 'i') // dotless ı (Turkish)
    .replace(/[\u2018\u2019\u02bc\u0060\u00b4]/g, "'")
    .toLowerCase()
    .replace(/\s+/gu, ' ')
    .trim();
}

const normalizedNoData: readonly string[] = Object.values(NO_DATA_PHRASES).flat().map(normalizeErrorText);
const normalizedPermission: readonly string[] = PERMISSION_PHRASES.map(normalizeErrorText);

function containsAny(normalized: string, phrases: readonly string[]): boolean {
  for (const p of phrases) if (normalized.includes(p)) return true;
  return false;
}

/** Whether an `<error>` text is about a missing permission or authorisation (any listed language). */
export function isPermissionDeniedText(text: string): boolean {
  return containsAny(normalizeErrorText(text), normalizedPermission);
}

/**
 * Whether an `<error>` text is PRA's localized "no data matches" answer, i.e. an empty result and
 * not a failure. Rule: normalised text contains a phrase of {@link NO_DATA_PHRASES} and is not
 * {@link isPermissionDeniedText}. See the module comment for the normalisation and the limits.
 */
export function isNoDataText(text: string): boolean {
  const normalized = normalizeErrorText(text);
  return normalized.length !== 0 && containsAny(normalized, normalizedNoData) && !containsAny(normalized, normalizedPermission);
}

/**
 * The parser's `isNoData` for a site whose own "no data" wording(s) were learned: `texts` as
 * {@link normalizeErrorText} left them (PraClient.openAccessSessions gives them so).
 */
export function learnedNoData(texts: readonly string[]): (text: string) => boolean {
  const learned = new Set(texts);
  return (text) => learned.has(normalizeErrorText(text));
}
