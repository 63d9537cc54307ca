// Types of /js/herald.js.

/** Every Herald event has these; each type adds its own fields (docs/channels.md). */
export interface HeraldEvent {
  id: number;
  type: string;
  channel: string;
  timestamp: string;
  userId?: string;
  userName?: string;
  [field: string]: unknown;
}

/** A token, or a function giving the current one (or a promise of it). */
export type TokenSource = string | (() => string | Promise<string>);

export type Status = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface SubscribeOptions {
  baseUrl?: string;
  /**
   * The JWT, or a function returning the current one or a promise of it (called before each connect, and at once
   * when the server ends the stream because its token expired). A string cannot be renewed: the stream then closes
   * with an error whose code is 'token_expired'.
   */
  token?: TokenSource;
  /** Resume from this cursor, or 'earliest' for everything history holds. */
  lastEventId?: string;
  withCredentials?: boolean;
  onEvent?: (event: HeraldEvent) => void;
  onOpen?: () => void;
  /** An EventSource error event, an error thrown by the token function, or an Error with code 'token_expired'. */
  onError?: (error: Event | Error & { code?: string; expiredAt?: string }) => void;
  onStatus?: (status: Status) => void;
  /** After a `disconnect` event (a backend ended the user's streams): reconnect after the backoff (default: stay closed). */
  reconnectAfterDisconnect?: boolean;
  onResync?: (channel: string, event: HeraldEvent) => void;
  minDelay?: number;
  maxDelay?: number;
  /** For tests: replacements for the browser's globals. */
  EventSource?: typeof EventSource;
  setTimeout?: (callback: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  random?: () => number;
}

export interface Subscription {
  readonly cursor: string | null;
  readonly channels: string[];
  close(): void;
}

export declare const BACKOFF: { readonly minDelay: number; readonly maxDelay: number };
export declare function backoffDelay(attempt: number, options?: { minDelay?: number; maxDelay?: number; random?: () => number }): number;
export declare function streamUrl(baseUrl: string, channels: string[], options?: { cursor?: string; token?: string }): string;
export declare function subscribe(channels: string | string[], options?: SubscribeOptions): Subscription;

export interface ApiError extends Error {
  status: number;
  code?: string;
  retryAfter?: number;
}

export declare function api<T = unknown>(path: string, options?: { baseUrl?: string; token?: TokenSource; method?: string; body?: unknown; fetch?: typeof fetch }): Promise<T>;
/** `user:` + the id's UTF-8 bytes, each outside `A-Z a-z 0-9 . _ @ -` (and `~`) as `~XX`: `auth0|5f7c8ec` → `user:auth0~7C5f7c8ec`. */
export declare function userChannel(userId: string): string;
export declare function devToken(userId: string, name: string, options?: { baseUrl?: string; fetch?: typeof fetch }): Promise<string>;

export interface Client {
  subscribe(channels: string | string[], options?: SubscribeOptions): Subscription;
  chat(channel: string, content: string): Promise<null>;
  publish(event: { channel: string; type: string; [field: string]: unknown }): Promise<{ id: number }>;
  presence(channel: string): Promise<{ channel: string; users: { userId: string; userName: string; since: string }[] }>;
  startExport(channel: string): Promise<{ jobId: string }>;
  /** Needs a token given as a string or a function returning a string (not a promise). */
  resultUrl(result: string): string;
  api<T = unknown>(path: string, options?: { method?: string; body?: unknown }): Promise<T>;
}

export declare function createClient(options?: { baseUrl?: string; token?: TokenSource } & Partial<SubscribeOptions>): Client;
