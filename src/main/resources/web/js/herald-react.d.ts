// Types of /js/herald-react.js (React hooks over herald.js).
import type { HeraldEvent, Job, Status, SubscribeOptions } from './herald.js';

/** What `onError` receives: an EventSource error event, or an Error (code 'token_expired' and others). */
export type StreamError = Parameters<NonNullable<SubscribeOptions['onError']>>[0];

/** The options of `subscribe`; the handlers and a function token may change on every render. */
export interface EventChannelOptions extends SubscribeOptions {
  /** Share one stream among the tabs of an origin (herald.js's default); `false` gives this hook its own. */
  shared?: boolean;
}

export interface EventChannelState {
  /** 'connecting' until the stream is live; 'closed' without channels or after the stream ended for good. */
  status: Status;
  /** The cursor of the last event received, or null. */
  cursor: string | null;
  /** The last error, cleared when the stream is open again. */
  error: StreamError | null;
}

/** A channel, several, or none (null, undefined, empty: no stream). */
export type Channels = string | readonly string[] | null | undefined;

/**
 * Subscribes while the component is mounted. Opens the stream again only when the channel set (not the array),
 * `baseUrl`, `shared`, `withCredentials` or a string `token` changes; always calls the latest handlers.
 */
export declare function useEventChannel(channels: Channels, options?: EventChannelOptions): EventChannelState;

export interface EventsOptions extends EventChannelOptions {
  /** How many of the latest events to keep (default 100). */
  limit?: number;
}

/** `useEventChannel` keeping the last `limit` events, oldest first, cleared when the channel set changes. */
export declare function useEvents<E extends HeraldEvent = HeraldEvent>(
  channels: Channels, options?: EventsOptions): EventChannelState & { events: E[] };

/**
 * `useEventChannel` with `jobs: true`, returning the jobs view (by job id; a new Map at each change), which starts
 * with the user's running jobs. Cleared when the channel set changes.
 */
export declare function useJobs(channels: Channels, options?: EventChannelOptions): EventChannelState & { jobs: ReadonlyMap<string, Job> };
