import { Command, CommanderError } from 'commander';
import { VERSION } from '../engine/version.ts';
import { registerArchiveCommands } from './archive-commands.ts';
import { registerBackupCommands } from './backup-commands.ts';
import type { GlobalOptions } from './context.ts';
import { registerDestinationCommands } from './destination-commands.ts';
import { registerRunCommands } from './run-commands.ts';
import { registerSiteCommands } from './site-commands.ts';
import { registerUiCommand } from './ui-command.ts';

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
    process.stderr.write(`pra-ic: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
