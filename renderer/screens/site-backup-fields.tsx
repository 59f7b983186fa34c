/** The site dialog's backup settings (a part of SiteDialog.tsx, kept apart for its size). */
import { Caption1, Checkbox, Divider, Field, Input, MessageBar, MessageBarBody, MessageBarTitle, Radio, RadioGroup, Subtitle2, makeStyles, tokens } from '@fluentui/react-components';
import type { FocusEvent, MutableRefObject, ReactElement } from 'react';
import type { BackupSchedule } from '../../shared/archive.ts';
import type { SiteView } from '../../shared/contract.ts';
import { SecretInput } from '../components/secret-input.tsx';
import { textBinding } from '../components/settings-form.tsx';
import type { SiteFormField, SiteFormValues } from './site-form.ts';

export const BACKUP_FIELD_IDS = {
  backupSchedule: 'site-backup-schedule',
  keepBackups: 'site-keep-backups',
  backupPassword: 'site-backup-password',
} as const;

const SCHEDULES: { id: BackupSchedule; label: string }[] = [
  { id: 'off', label: 'Off' },
  { id: 'daily', label: 'Daily' },
  { id: 'weekly', label: 'Weekly' },
];

const useStyles = makeStyles({
  backups: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  titles: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXXS },
  notice: { color: tokens.colorNeutralForeground2 },
  row: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: `${tokens.spacingVerticalM} ${tokens.spacingHorizontalL}`,
    alignItems: 'start',
    '& .fui-Input': { minWidth: 0, width: '100%' },
  },
  schedule: { flex: '0 0 auto' },
  keep: { flex: '0 0 140px' },
  backupPassword: { flex: '1 1 200px', minWidth: 0 },
  indent: { marginLeft: `calc(-1 * ${tokens.spacingHorizontalS})` },
});

/**
 * Site backups, as in the Integration Client: off / daily / weekly, how many to keep, and the
 * optional backup password applied to every backup (kept in the OS keychain; never shown again).
 */
export function BackupFields({
  values,
  editing,
  archiveConfigured,
  clear,
  onClear,
  passwordRef,
  change,
  leave,
  message,
  state,
  onPasswordChange,
}: {
  values: SiteFormValues;
  editing: SiteView | null;
  archiveConfigured: boolean | null;
  clear: boolean;
  onClear: (clear: boolean) => void;
  passwordRef: MutableRefObject<HTMLInputElement | null>;
  change: <K extends keyof SiteFormValues>(key: K, value: SiteFormValues[K]) => void;
  leave: (field: SiteFormField) => (event: FocusEvent<HTMLElement>) => void;
  message: (field: SiteFormField) => ReactElement | undefined;
  state: (field: SiteFormField) => 'error' | 'none';
  onPasswordChange: () => void;
}) {
  const styles = useStyles();
  const text = textBinding(values, change, leave);
  const stored = editing?.backupPasswordStored === true;
  const on = values.backupSchedule !== 'off';
  return (
    <div className={styles.backups} role="group" aria-labelledby="site-backups-title" data-testid="site-backups">
      <Divider />
      <div className={styles.titles}>
        <Subtitle2 as="h3" id="site-backups-title">
          Site backups
        </Subtitle2>
        <Caption1 className={styles.notice}>
          Saved as .nsb files in the archive folder (Archive tab). The API account needs the Backup API permission.
        </Caption1>
      </div>
      <div className={styles.row}>
        <Field className={styles.schedule} label="Backups" validationState={state('backupSchedule')} validationMessage={message('backupSchedule')}>
          <RadioGroup
            id={BACKUP_FIELD_IDS.backupSchedule}
            className={styles.indent}
            layout="horizontal"
            value={values.backupSchedule}
            onChange={(_, d) => change('backupSchedule', d.value as BackupSchedule)}
            data-testid={BACKUP_FIELD_IDS.backupSchedule}
          >
            {SCHEDULES.map((s) => (
              <Radio key={s.id} value={s.id} label={s.label} data-testid={`site-backups-${s.id}`} />
            ))}
          </RadioGroup>
        </Field>
        <Field className={styles.keep} label="Backups to keep" validationState={state('keepBackups')} validationMessage={message('keepBackups')}>
          <Input
            id={BACKUP_FIELD_IDS.keepBackups}
            data-testid={BACKUP_FIELD_IDS.keepBackups}
            {...text('keepBackups')}
            disabled={!on}
            inputMode="numeric"
          />
        </Field>
        <Field
          className={styles.backupPassword}
          label="Backup password (optional)"
          validationState={state('backupPassword')}
          validationMessage={message('backupPassword')}
          hint={clear ? 'The stored password is removed on Save.' : stored ? 'Type a new password only to replace the stored one.' : 'Applied to every backup; a restore asks for it.'}
        >
          <SecretInput
            id={BACKUP_FIELD_IDS.backupPassword}
            data-testid={BACKUP_FIELD_IDS.backupPassword}
            ref={passwordRef}
            placeholder={clear ? 'Removed on Save' : stored ? 'Stored — leave empty to keep' : undefined}
            disabled={clear}
            onChange={onPasswordChange}
            onBlur={leave('backupPassword')}
            autoComplete="new-password"
          />
        </Field>
      </div>
      {stored ? (
        <Checkbox
          className={styles.indent}
          checked={clear}
          onChange={(_, d) => {
            onClear(d.checked === true);
            if (d.checked === true && passwordRef.current) passwordRef.current.value = '';
          }}
          label="Remove the stored backup password (later backups have none)"
          data-testid="site-backup-password-clear"
        />
      ) : null}
      {on && archiveConfigured === false ? (
        <MessageBar intent="warning" layout="multiline" data-testid="site-backups-no-archive">
          <MessageBarBody>
            <MessageBarTitle>No archive folder yet</MessageBarTitle>
            Backups start once an archive folder is set on the Archive tab.
          </MessageBarBody>
        </MessageBar>
      ) : null}
    </div>
  );
}
