/**
 * `PRA Integration Client.exe --forget-secrets`: removes from the OS keychain every secret that
 * belongs to this data directory (all accounts under its install id), then exits. The uninstaller
 * runs it when the user chooses to remove their data (build/installer.nsh), before it deletes the
 * folder: only the folder's settings.db knows the install id. Secrets of other data directories
 * on the machine are left alone. Never creates a data directory or a database that is not there.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS_FILE } from '../engine/db/database.ts';
import { openSettingsDatabase } from '../engine/settings-db.ts';
import type { SecretStore } from '../engine/secrets/secret-store.ts';

export const FORGET_SECRETS_ARG = '--forget-secrets';

export async function forgetSecrets(dataDir: string, secrets: SecretStore): Promise<{ removed: number }> {
  if (!existsSync(join(dataDir, SETTINGS_FILE))) return { removed: 0 };
  const database = openSettingsDatabase(dataDir);
  try {
    const accounts = await secrets.accounts(`${database.installId}/`);
    let removed = 0;
    for (const account of accounts) if (await secrets.delete(account)) removed++;
    return { removed };
  } finally {
    database.close();
  }
}
