import pkg from '../../package.json' with { type: 'json' };

export const PRODUCT_NAME = 'PRA Integration Client';
export const PROGRAM_NAME = 'pra-integration-client';
export const VERSION: string = pkg.version;
export const USER_AGENT = `${PROGRAM_NAME}/${VERSION}`;
