// Herald's browser client: one EventSource for many channels, reconnecting with backoff and resuming from the
// last cursor. An ES module without dependencies; types in herald.d.ts. See docs/client.md.

/** Reconnect delays: 1 s doubling up to 30 s, with full jitter (a random delay between 0 and the cap). */
export const BACKOFF = Object.freeze({ minDelay: 1000, maxDelay: 30000 });

/** The delay before reconnect attempt number `attempt` (0 for the first reconnect). */
export function backoffDelay(attempt, { minDelay = BACKOFF.minDelay, maxDelay = BACKOFF.maxDelay, random = Math.random } = {}) {
  const cap = Math.min(maxDelay, minDelay * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * cap);
}

/** The URL of a stream of `channels`, resuming after `cursor` when given. */
export function streamUrl(baseUrl, channels, { cursor, token } = {}) {
  const params = new URLSearchParams();
  for (const channel of channels) params.append('channel', channel);
  params.set('ready', '1');
  if (cursor) params.set('lastEventId', cursor);
  if (token) params.set('access_token', token);
  return `${baseUrl}/api/events?${params}`;
}

/**
 * Subscribes to channels. Events reach `onEvent` (JSON objects, `resync` included); `onOpen` runs each time the
 * stream is live; `onError` on each failure; `onStatus` with 'connecting', 'open', 'reconnecting', 'closed'.
 * A native EventSource stops for good after a 429 or 503; this one closes and reconnects by itself.
 *
 * `token` is a string or a function returning a token (or a promise of one); a function is called before every
 * connect. A stream ends when its token expires (a last `token_expired` event, not passed to `onEvent`): with a
 * function the stream reconnects at once with a fresh token from its cursor, missing nothing; with a string it
 * cannot renew, so it closes and `onError` gets an error whose `code` is 'token_expired'.
 *
 * A backend can end a user's streams (`POST /api/users/{id}/disconnect`): the last event is `disconnect` with a
 * `reason`. It is passed to `onEvent`, then the subscription closes for good (`onStatus('closed')`) unless
 * `reconnectAfterDisconnect: true`, which reconnects from the cursor after the usual backoff.
 */
export function subscribe(channels, options = {}) {
  const {
    baseUrl = '',
    token,
    lastEventId,
    withCredentials = false,
    onEvent = () => {},
    onOpen = () => {},
    onError = () => {},
    onStatus = () => {},
    onResync = () => {},
    EventSource: Source = globalThis.EventSource,
    setTimeout: schedule = globalThis.setTimeout.bind(globalThis),
    clearTimeout: cancel = globalThis.clearTimeout.bind(globalThis),
    random = Math.random,
    minDelay = BACKOFF.minDelay,
    maxDelay = BACKOFF.maxDelay,
    reconnectAfterDisconnect = false,
  } = options;
  const list = Array.isArray(channels) ? [...channels] : [channels];
  let cursor = lastEventId || null;
  let attempt = 0;
  let source = null;
  let timer = null;
  let closed = false;
  /** Counts connects, so that a token arriving for an attempt that was superseded or closed is dropped. */
  let generation = 0;

  function retryLater(error) {
    onError(error);
    const delay = backoffDelay(attempt, { minDelay, maxDelay, random });
    attempt += 1;
    onStatus('reconnecting');
    timer = schedule(connect, delay);
  }

  function connect() {
    timer = null;
    const mine = ++generation;
    onStatus(attempt === 0 ? 'connecting' : 'reconnecting');
    let pending;
    try {
      pending = typeof token === 'function' ? token() : token;
    } catch (error) {
      retryLater(error);
      return;
    }
    if (pending && typeof pending.then === 'function') {
      pending.then(
        (fresh) => { if (mine === generation && !closed) open(fresh); },
        (error) => { if (mine === generation && !closed) retryLater(error); },
      );
    } else {
      open(pending);
    }
  }

  function open(currentToken) {
    const es = new Source(streamUrl(baseUrl, list, { cursor, token: currentToken }), { withCredentials });
    source = es;
    es.onmessage = (message) => {
      if (source !== es) return;
      if (message.lastEventId) cursor = message.lastEventId;
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (event.type === 'ready') {
        attempt = 0;
        onStatus('open');
        onOpen();
        return;
      }
      if (event.type === 'token_expired') {
        tokenExpired(es, event);
        return;
      }
      if (event.type === 'resync') onResync(event.channel, event);
      onEvent(event);
      if (event.type === 'disconnect') disconnected(es);
    };
    es.onerror = (error) => {
      if (source !== es || closed) return;
      es.close();
      source = null;
      retryLater(error);
    };
  }

  /** The server ended the stream because its token expired: reconnect now with a fresh one, or stop. */
  function tokenExpired(es, event) {
    es.close();
    source = null;
    if (typeof token === 'string') {
      const error = new Error('the stream\'s token expired; pass a function as token to renew it');
      error.code = 'token_expired';
      error.expiredAt = event.expiredAt;
      closed = true;
      onError(error);
      onStatus('closed');
      return;
    }
    connect();
  }

  /** A backend ended the stream: stay closed, or reconnect after the usual backoff when told to. */
  function disconnected(es) {
    es.close();
    source = null;
    if (reconnectAfterDisconnect) {
      attempt += 1;
      onStatus('reconnecting');
      timer = schedule(connect, backoffDelay(attempt - 1, { minDelay, maxDelay, random }));
      return;
    }
    closed = true;
    onStatus('closed');
  }

  connect();
  return {
    /** The cursor a new subscription of the same channels can resume from. */
    get cursor() {
      return cursor;
    },
    get channels() {
      return [...list];
    },
    close() {
      closed = true;
      generation += 1;
      if (timer !== null) cancel(timer);
      if (source) source.close();
      source = null;
      onStatus('closed');
    },
  };
}

/** Calls Herald's HTTP API with the token; resolves to the parsed JSON (or null), rejects with the error body. */
export async function api(path, { baseUrl = '', token, method = 'GET', body, fetch: doFetch = globalThis.fetch } = {}) {
  const headers = {};
  const current = typeof token === 'function' ? await token() : token;
  if (current) headers.Authorization = `Bearer ${current}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await doFetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error(json?.message || `HTTP ${response.status}`);
    error.status = response.status;
    error.code = json?.error;
    error.retryAfter = Number(response.headers.get('Retry-After')) || undefined;
    throw error;
  }
  return json;
}

/**
 * The channel of a user id (a token's `sub`): `user:` + its UTF-8 bytes, each byte outside `A-Z a-z 0-9 . _ @ -`
 * written `~` + two uppercase hex digits (`~` too): `userChannel('auth0|5f7c8ec')` is `'user:auth0~7C5f7c8ec'`.
 * The same rule as the server's (docs/channels.md).
 */
export function userChannel(userId) {
  let id = '';
  for (const byte of new TextEncoder().encode(userId)) {
    const c = String.fromCharCode(byte);
    id += /[A-Za-z0-9._@-]/.test(c) ? c : `~${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return `user:${id}`;
}

/** A dev-mode token for a name (POST /dev/token). */
export async function devToken(userId, name, { baseUrl = '', fetch: doFetch = globalThis.fetch } = {}) {
  const { token } = await api('/dev/token', { baseUrl, method: 'POST', body: { userId, name }, fetch: doFetch });
  return token;
}

/** Helpers bound to one base URL and token. */
export function createClient({ baseUrl = '', token, ...defaults } = {}) {
  const call = (path, options = {}) => api(path, { baseUrl, token, ...options });
  return {
    subscribe: (channels, options = {}) => subscribe(channels, { baseUrl, token, ...defaults, ...options }),
    chat: (channel, content) => call('/api/chat/messages', { method: 'POST', body: { channel, content } }),
    publish: (event) => call('/api/publish', { method: 'POST', body: event }),
    presence: (channel) => call(`/api/channels/${encodeURIComponent(channel)}/presence`),
    startExport: (channel) => call('/api/jobs/export', { method: 'POST', body: { channel } }),
    /** A URL that downloads a job's result (the token travels as access_token: keep such links private). */
    resultUrl: (result) => `${baseUrl}${result}?access_token=${encodeURIComponent(typeof token === 'function' ? token() : token)}`,
    api: call,
  };
}
