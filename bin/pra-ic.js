#!/usr/bin/env node
// The pra-ic command. It runs the TypeScript sources through tsx's loader, so the CLI always runs
// exactly the engine that is checked out (the desktop app bundles the same sources).
import { register } from 'tsx/esm/api';

register();
await import('../electron/cli/main.ts');
