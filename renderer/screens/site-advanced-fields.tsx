/** The site dialog's Advanced settings (a part of SiteDialog.tsx, kept apart for its size). */
import { Accordion, AccordionHeader, AccordionItem, AccordionPanel, Field, Input, makeStyles, tokens } from '@fluentui/react-components';
import type { FocusEvent, ReactElement } from 'react';
import { textBinding } from '../components/settings-form.tsx';
import type { SiteFormField, SiteFormValues } from './site-form.ts';

export const ADVANCED_FIELD_IDS = {
  initialIntervalSeconds: 'site-initial-interval',
  pollIntervalSeconds: 'site-poll-interval',
  timeoutSeconds: 'site-timeout',
  caFile: 'site-ca-file',
  proxyUrl: 'site-proxy-url',
} as const;

/** The three duration settings of the Advanced section: the field they validate and the form value they edit. */
const DURATION_FIELDS = [
  { field: 'initialIntervalSeconds', value: 'initialInterval', label: 'Initial interval', hint: 'How far back the first run reaches: 24h, 7d… up to 90d.' },
  { field: 'pollIntervalSeconds', value: 'pollInterval', label: 'Poll interval', hint: 'Time between runs, at least 30s.' },
  { field: 'timeoutSeconds', value: 'timeout', label: 'HTTP timeout', hint: 'How long to wait for the site.' },
] as const;

/** The two settings that name a place (a file, a proxy): field and form value share the name. */
const PATH_FIELDS = [
  {
    field: 'caFile',
    label: 'CA certificate file',
    hint: "Only if the site's certificate is issued by a private CA: the path of a PEM file on this computer.",
    placeholder: 'C:\\ProgramData\\PRA\\site-ca.pem',
  },
  {
    field: 'proxyUrl',
    label: 'Proxy URL',
    hint: 'Only if this computer reaches the site through a proxy. No user name or password in it.',
    placeholder: 'http://proxy.example.com:3128',
  },
] as const;

const useStyles = makeStyles({
  durations: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fit, minmax(150px, 1fr))',
    // Fluent's Input has a min-content wider than a third of the dialog: let it shrink to its column.
    '& .fui-Input': { minWidth: 0, width: '100%' },
    gap: `${tokens.spacingVerticalM} ${tokens.spacingHorizontalL}`,
    alignItems: 'start',
  },
  panel: { marginLeft: 0, marginRight: 0 },
  advanced: {
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalM,
    paddingTop: tokens.spacingVerticalS,
    paddingBottom: tokens.spacingVerticalS,
  },
  accordionHeader: { marginLeft: `calc(-1 * ${tokens.spacingHorizontalM})` },
});

/**
 * Collapsed by default: the intervals, the HTTP timeout, a private CA and a proxy. `open` is the
 * dialog's (it opens the section itself when one of these fields has a message).
 */
export function AdvancedFields({
  values,
  open,
  onOpenChange,
  change,
  leave,
  message,
  state,
}: {
  values: SiteFormValues;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  change: <K extends keyof SiteFormValues>(key: K, value: SiteFormValues[K]) => void;
  leave: (field: SiteFormField) => (event: FocusEvent<HTMLElement>) => void;
  message: (field: SiteFormField) => ReactElement | undefined;
  state: (field: SiteFormField) => 'error' | 'none';
}) {
  const styles = useStyles();
  const text = textBinding(values, change, leave);
  return (
    <Accordion collapsible openItems={open ? ['advanced'] : []} onToggle={(_, data) => onOpenChange(data.openItems.includes('advanced'))}>
      <AccordionItem value="advanced">
        <AccordionHeader className={styles.accordionHeader} expandIconPosition="start" data-testid="site-advanced">
          Advanced settings
        </AccordionHeader>
        <AccordionPanel className={styles.panel}>
          <div className={styles.advanced}>
            <div className={styles.durations}>
              {DURATION_FIELDS.map(({ field, value, label, hint }) => (
                <Field key={field} label={label} validationState={state(field)} validationMessage={message(field)} hint={hint}>
                  <Input
                    id={ADVANCED_FIELD_IDS[field]}
                    data-testid={ADVANCED_FIELD_IDS[field]}
                    value={values[value]}
                    onChange={(_, d) => change(value, d.value)}
                    onBlur={leave(field)}
                  />
                </Field>
              ))}
            </div>
            {PATH_FIELDS.map(({ field, label, hint, placeholder }) => (
              <Field key={field} label={label} validationState={state(field)} validationMessage={message(field)} hint={hint}>
                <Input
                  id={ADVANCED_FIELD_IDS[field]}
                  data-testid={ADVANCED_FIELD_IDS[field]}
                  {...text(field)}
                  placeholder={placeholder}
                  spellCheck={false}
                />
              </Field>
            ))}
          </div>
        </AccordionPanel>
      </AccordionItem>
    </Accordion>
  );
}
