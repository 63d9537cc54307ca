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

/** A job of the jobs API (GET /api/jobs/{jobId}, and every job event of the owner's channel). */
export interface Job {
  jobId: string;
  userId: string;
  kind: string;
  status: 'running' | 'complete' | 'failed';
  /** 0-100, never decreasing. */
  progress: number;
  message: string;
  /** Only when complete. */
  result?: unknown;
  /** Only when failed: a code such as 'worker_lost'. */
  error?: string;
  meta?: Record<string, unknown>;
  /** 1 at creation, +1 per transition: the jobs view keeps the highest. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** How a job changed in a jobs view: `removed` when it left it (the server no longer knows it, or too many finished). */
export interface JobChange {
  removed: boolean;
}

export interface SubscribeOptions {
  baseUrl?: string;
  /**
   * The JWT, or a function returning the current one or a promise of it (called before each connect, at 85 % of the
   * token's lifetime (at least 1 s before its `exp`) to reopen the stream with a fresh one, and at once when the
   * server ends the stream because its token expired). A string cannot be renewed: the stream then closes with an
   * error whose code is 'token_expired'. A shared subscription also reads the token's `sub` to find its group.
   */
  token?: TokenSource;
  /** Renew a token function's token before its `exp` (default true); false leaves it to the server's end at expiry. */
  renewBeforeExpiry?: boolean;
  /**
   * Share one stream with the other subscriptions of this tab and of the other tabs of this origin signed in as the
   * same user (default true). Without Web Locks or BroadcastChannel, or with `lastEventId`, the subscription has
   * a stream of its own, as with false.
   */
  shared?: boolean;
  /** Share with the subscriptions given the same key, instead of those with the same `baseUrl` and token `sub`. */
  sharedKey?: string;
  /** A shared subscription's tab became the leader (it holds the stream) or a follower. */
  onRole?: (role: 'leader' | 'follower') => void;
  /** Resume from this cursor, or 'earliest' for everything history holds (the subscription is then not shared). */
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
  /**
   * Keep a jobs view (`Subscription.jobs`): the stream asks for `jobs=1`, and the user's own channel is added from
   * the token's `sub` when not listed (a token that cannot be read at subscribe time, an opaque string or a function
   * returning a promise, needs the channel listed: else subscribe throws). `job_state` events feed the view only.
   */
  jobs?: boolean;
  /** Each accepted change of the jobs view: a higher version of a job, or a job that left the view. */
  onJob?: (job: Job, change: JobChange) => void;
  minDelay?: number;
  maxDelay?: number;
  /** For tests: replacements for the browser's globals. */
  EventSource?: typeof EventSource;
  setTimeout?: (callback: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  random?: () => number;
  now?: () => number;
  locks?: Pick<LockManager, 'request'> | null;
  BroadcastChannel?: typeof BroadcastChannel | null;
  /** Reads a job the jobs view missed the end of (GET /api/jobs/{jobId}). */
  fetch?: typeof fetch;
  /** The tab: its `pagehide`/`pageshow` events, and its `document`'s `freeze`/`resume` (default: `window`). */
  page?: EventTarget & { document?: EventTarget };
}

export interface Subscription {
  /**
   * The cursor a new subscription of the same channels can resume from. A shared subscription has one only while
   * the shared stream carries exactly its channels (else null).
   */
  readonly cursor: string | null;
  readonly channels: string[];
  /** 'single': a stream of its own; 'leader': this tab holds the shared stream; 'follower': another tab does. */
  readonly role: 'single' | 'leader' | 'follower';
  /** With `jobs: true`, a copy of the jobs view by job id (running and finished jobs); else empty. */
  readonly jobs: Map<string, Job>;
  close(): void;
}

/** Timings of the shared stream, in ms. */
export declare const SHARING: { readonly heartbeat: number; readonly silence: number; readonly narrowAfter: number; readonly overlap: number };
/** The decoded payload of a JWT, or null when the string is not one. */
export declare function tokenClaims(token: string | undefined | null): Record<string, unknown> | null;
/** In how many ms, from `now`, to renew a token: 85 % of its lifetime, at least 1 s before `exp`; null: do not. */
export declare function renewalDelay(token: string, now?: number): number | null;

export declare const BACKOFF: { readonly minDelay: number; readonly maxDelay: number };
export declare function backoffDelay(attempt: number, options?: { minDelay?: number; maxDelay?: number; random?: () => number }): number;
export declare function streamUrl(baseUrl: string, channels: string[], options?: { cursor?: string; token?: string; jobs?: boolean }): string;
export declare function subscribe(channels: string | string[], options?: SubscribeOptions): Subscription;

export interface ApiError extends Error {
  status: number;
  code?: string;
  retryAfter?: number;
}

export declare function api<T = unknown>(path: string, options?: { baseUrl?: string; token?: TokenSource; method?: string; body?: unknown; fetch?: typeof fetch; credentials?: RequestCredentials }): Promise<T>;
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
