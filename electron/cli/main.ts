import { Command, CommanderError } from 'commander';
import { VERSION } from '../engine/version.ts';
import { registerArchiveCommands } from './archive-commands.ts';
import { registerBackupCommands } from './backup-commands.ts';
import type { GlobalOptions } from './context.ts';
import { registerDestinationCommands } from './destination-commands.ts';
import { EXIT } from './exit-codes.ts';
import { quietOnClosedPipe } from './io.ts';
import { registerRunCommands } from './run-commands.ts';
import { registerSiteCommands } from './site-commands.ts';
import { registerUiCommand } from './ui-command.ts';

// `pra-ic sessions list | head`: the reader may go away before everything is written.
quietOnClosedPipe();

const program = new Command('pra-ic')
  .description('PRA Integration Client: pulls BeyondTrust PRA access sessions and ships them to Elasticsearch.')
  .version(VERSION)
  .option('--data-dir <dir>', 'data directory (default: $PRA_IC_DATA_DIR, else the app\'s user-data folder)')
  .option('-v, --verbose', 'also print log lines to stderr')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

const global = () => program.opts<GlobalOptions>();
registerSiteCommands(program, global);
registerRunCommands(program, global);
registerDestinationCommands(program, global);
registerUiCommand(program, global);
registerArchiveCommands(program, global);
registerBackupCommands(program, global);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    process.exitCode = error.exitCode;
  } else {
    // A damaged database or a full disk can surface in any command: say which and what to do.
    // (Loaded only now, like the engine: --help never loads the database's code.)
    let storage: string | null = null;
    if (error instanceof Error && ('code' in error || 'cause' in error)) {
      const [{ describeStorageError }, { resolveDataDir }] = await Promise.all([import('../engine/db/database.ts'), import('../engine/paths.ts')]);
      storage = describeStorageError(error, resolveDataDir({ dataDir: global().dataDir }));
    }
    // By name, not instanceof: the lock's module is loaded only by the commands that take it.
    const inUse = (error as Error).name === 'DataFolderInUseError';
    const hint = inUse ? ' Or add --wait to start when it ends. Read-only commands (status, sessions list) work meanwhile.' : '';
    process.stderr.write(`pra-ic: ${storage ?? (error as Error).message}${hint}\n`);
    process.exitCode = inUse ? EXIT.IN_USE : EXIT.ERROR;
  }
}
