// "No data matches" is not an empty list on the appliance but HTTP 200 with an <error> element whose
// text is in the site's language, so a client must never recognise it by its wording.
//
// English is the text seen in the field from a PRA site, for AccessSessionListing/AccessSession
// queries that match nothing (SEKOIA-IO/automation-library, BeyondTrust connector, PR #1266 and
// #3084): "No Support report information matching your chosen criteria is available." (PRA shares
// this wording with BeyondTrust Remote Support). The other languages are the simulator's own
// plausible translations, not captured output; they exist to break any client that matches the text.
export const NO_DATA_TEXTS = {
  en: 'No Support report information matching your chosen criteria is available.',
  de: 'Es sind keine Support-Berichtsinformationen verfügbar, die Ihren Kriterien entsprechen.',
  fr: "Aucune information de rapport d'assistance correspondant aux critères choisis n'est disponible.",
  es: 'No hay información de informes de soporte disponible que coincida con los criterios elegidos.',
  it: 'Non sono disponibili informazioni sui report di supporto corrispondenti ai criteri scelti.',
  nl: 'Er is geen informatie over ondersteuningsrapporten beschikbaar die aan uw criteria voldoet.',
  ja: '選択した条件に一致するサポートレポート情報はありません。',
} as const satisfies Record<string, string>;

export type SiteLocale = keyof typeof NO_DATA_TEXTS;

export function noDataText(locale: SiteLocale): string {
  return NO_DATA_TEXTS[locale];
}
