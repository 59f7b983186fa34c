/**
 * The contract through Electron's preload (`window.praIc`): calls pass through unchanged; whatever
 * the preload throws (or an `{ ok: false, error }` envelope, if it returns one) becomes an ApiError.
 */
import type { Channel, ChannelInput, ChannelOutput, PraApi, UiEvent } from '../../shared/contract.ts';
import { asErrorBody, toApiError } from './errors.ts';
import type { ApiClient, ConnectionState } from './types.ts';
import { ApiError } from '../../shared/contract.ts';

/** `{ ok: true, result }` / `{ ok: false, error }` exactly (results such as TestResult have other keys). */
function unwrapEnvelope(value: unknown): { unwrapped: true; value: unknown } | { unwrapped: false } {
  if (typeof value !== 'object' || value === null) return { unwrapped: false };
  const keys = Object.keys(value).sort().join(',');
  const v = value as { ok?: unknown; result?: unknown; error?: unknown };
  if (keys === 'ok,result' && v.ok === true) return { unwrapped: true, value: v.result };
  if (keys === 'error,ok' && v.ok === false) {
    const body = asErrorBody(v.error);
    if (body) throw new ApiError(body);
  }
  return { unwrapped: false };
}

export class ElectronClient implements ApiClient {
  readonly transport = 'electron' as const;
  constructor(private readonly bridge: PraApi) {}

  async invoke<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
    let result: unknown;
    try {
      result = await this.bridge.invoke(channel, input);
    } catch (error) {
      throw toApiError(error);
    }
    const envelope = unwrapEnvelope(result);
    return (envelope.unwrapped ? envelope.value : result) as ChannelOutput<C>;
  }

  onEvent(listener: (event: UiEvent) => void): () => void {
    return this.bridge.onEvent(listener);
  }

  connection(): ConnectionState {
    return 'connected';
  }

  onConnectionChange(): () => void {
    return () => {};
  }
}
