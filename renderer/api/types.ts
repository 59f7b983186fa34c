import type { PraApi } from '../../shared/contract.ts';

/** Whether engine events are flowing: always `connected` in Electron; over HTTP the stream may drop. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';

/** PraApi plus what the UI wants to know about the transport itself. */
export interface ApiClient extends PraApi {
  readonly transport: 'electron' | 'http';
  connection(): ConnectionState;
  onConnectionChange(listener: (state: ConnectionState) => void): () => void;
}
