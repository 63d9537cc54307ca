// Herald's browser client: one EventSource for many channels, reconnecting with backoff and resuming from the
// last cursor. An ES module without dependencies; types in herald.d.ts. See docs/client.md.
import { JobsView, jobOf, settleJobs } from './herald-jobs.js';

/** Reconnect delays: 1 s doubling up to 30 s, with full jitter (a random delay between 0 and the cap). */
export const BACKOFF = Object.freeze({ minDelay: 1000, maxDelay: 30000 });

/** The delay before reconnect attempt number `attempt` (0 for the first reconnect). */
export function backoffDelay(attempt, { minDelay = BACKOFF.minDelay, maxDelay = BACKOFF.maxDelay, random = Math.random } = {}) {
  const cap = Math.min(maxDelay, minDelay * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * cap);
}

/**
 * Stands for "with the user's jobs" (`?jobs=1`) among a stream's channels: a stream's parameters are then one set,
 * which the shared stream's union, widening, hand-over and cursor checks carry along. Channel names all have a `:`.
 */
const JOBS = '+jobs';

/** The URL of a stream of `channels`, resuming after `cursor` when given; `jobs`: with the user's running jobs. */
export function streamUrl(baseUrl, channels, { cursor, token, jobs = false } = {}) {
  const params = new URLSearchParams();
  for (const channel of channels) params.append('channel', channel);
  params.set('ready', '1');
  if (jobs) params.set('jobs', '1');
  if (cursor) params.set('lastEventId', cursor);
  if (token) params.set('access_token', token);
  return `${baseUrl}/api/events?${params}`;
}

/** The claims of a JWT (its decoded payload), or null when `token` is not one. */
export function tokenClaims(token) {
  if (typeof token !== 'string') return null;
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

/**
 * When to renew a token, in ms from `now`: at 85 % of its lifetime (`exp` − `iat`) and at least 1 s before `exp`;
 * null when it has no `exp` or too little time is left to renew before it ends (the server's end is the fallback).
 */
export function renewalDelay(token, now = Date.now()) {
  const claims = tokenClaims(token);
  if (!claims || !Number.isFinite(claims.exp)) return null;
  const left = claims.exp * 1000 - now;
  const lifetime = Number.isFinite(claims.iat) ? (claims.exp - claims.iat) * 1000 : left;
  const delay = left - Math.max(1000, 0.15 * lifetime);
  return delay >= 500 ? delay : null;
}

/** Calls `then` with `value`, at once when it is not a promise; `fail` when it throws or rejects. */
function settle(produce, then, fail) {
  let value;
  try {
    value = produce();
  } catch (error) {
    fail(error);
    return;
  }
  if (value && typeof value.then === 'function') value.then(then, fail);
  else then(value);
}

/**
 * One stream of `list`: connects, reconnects with backoff, resumes from its cursor, renews a token function's
 * token before its `exp`. `list` holds channels and, for a stream with the user's jobs, JOBS. Reports to
 * `o.onMessage(event)` (every event but `ready` and `token_expired`), `o.onReady(quiet, event)` (the stream is
 * live, with the `ready` event; quiet after a renewal, which the owner need not announce),
 * `o.onStatus('connecting' | 'reconnecting' | 'closed')` and `o.onError(error)`. Nothing happens before `start()`.
 */
function openStream(list, o) {
  const { token, schedule, cancel } = o;
  const url = (fresh) => streamUrl(o.baseUrl, list.filter((c) => c !== JOBS), { cursor, token: fresh, jobs: list.includes(JOBS) });
  let cursor = o.cursor || null;
  let attempt = 0;
  let source = null;
  let timer = null;
  let renewTimer = null;
  /** A renewal's stream, opened with the fresh token before the current one closes. */
  let successor = null;
  let currentToken = null;
  let closed = false;
  /** Counts connects, so that a token arriving for an attempt that was superseded or closed is dropped. */
  let generation = 0;

  function retryLater(error) {
    o.onError(error);
    const delay = backoffDelay(attempt, o);
    attempt += 1;
    o.onStatus('reconnecting');
    timer = schedule(connect, delay);
  }

  function connect() {
    timer = null;
    dropSuccessor();
    const mine = ++generation;
    o.onStatus(attempt === 0 ? 'connecting' : 'reconnecting');
    settle(() => (typeof token === 'function' ? token() : token),
      (fresh) => { if (mine === generation && !closed) open(fresh); },
      (error) => { if (mine === generation && !closed) retryLater(error); });
  }

  function open(fresh) {
    currentToken = fresh;
    scheduleRenewal();
    source = new o.Source(url(fresh), { withCredentials: o.withCredentials });
    wire(source, false);
  }

  /** The event a message carries, or null for one that is not JSON (skipped). */
  function parseEvent(message) {
    try {
      return JSON.parse(message.data);
    } catch {
      return null;
    }
  }

  function wire(es, quiet) {
    es.onmessage = (message) => {
      if (source !== es) return;
      if (message.lastEventId) cursor = message.lastEventId;
      const event = parseEvent(message);
      if (!event) return;
      if (event.type === 'ready') {
        attempt = 0;
        o.onReady(quiet, event);
        return;
      }
      if (event.type === 'token_expired') {
        tokenExpired(es, event);
        return;
      }
      o.onMessage(event);
      if (event.type === 'disconnect' && source === es) disconnected(es);
    };
    es.onerror = (error) => {
      if (source !== es || closed) return;
      es.close();
      source = null;
      retryLater(error);
    };
  }

  /** A little before the token's `exp`: a fresh token first, then the same channels again from the cursor. */
  function scheduleRenewal() {
    if (renewTimer !== null) cancel(renewTimer);
    renewTimer = null;
    if (!o.renew || typeof token !== 'function') return;
    const delay = renewalDelay(currentToken, o.now());
    if (delay !== null) renewTimer = schedule(renew, delay);
  }

  function renew() {
    renewTimer = null;
    const mine = generation;
    if (closed || !source || successor) return;
    settle(token, (fresh) => {
      if (closed || mine !== generation || !source || successor || !fresh || fresh === currentToken) return;
      succeed(fresh);
    }, (error) => { if (!closed && mine === generation) o.onError(error); });
  }

  /**
   * Make-before-break: the fresh token's stream of the same channels from the same cursor delivers alongside the
   * current one until its `ready`, then the current one closes. Both carry every event after that cursor, in order,
   * so the subscriptions' dedupe leaves each once and in order; and the user never has no stream, so presence does
   * not blink. If the new stream fails, the current one goes on (the server's end at expiry is the fallback).
   */
  function succeed(fresh) {
    const es = new o.Source(url(fresh), { withCredentials: o.withCredentials });
    es.token = fresh;
    successor = es;
    es.onmessage = (message) => {
      if (successor !== es) return;
      const event = parseEvent(message);
      if (!event) return;
      if (event.type === 'ready') {
        if (message.lastEventId) cursor = message.lastEventId;
        promote();
        o.onReady(true, event);
      } else if (event.type !== 'token_expired' && event.type !== 'disconnect') {
        o.onMessage(event); // the current stream gets those two as well, and handles them
      }
    };
    es.onerror = () => {
      if (successor === es) dropSuccessor();
    };
  }

  /** The renewal's stream takes over (its `ready` came, or the current stream ended). */
  function promote() {
    const es = successor;
    successor = null;
    source?.close();
    source = es;
    currentToken = es.token;
    wire(es, true);
    scheduleRenewal();
  }

  function dropSuccessor() {
    successor?.close();
    successor = null;
  }

  /** The server ended the stream because its token expired: reconnect now with a fresh one, or stop. */
  function tokenExpired(es, event) {
    es.close();
    source = null;
    if (successor) {
      promote(); // a renewal was under way: its stream goes on from the cursor it was opened with
      return;
    }
    if (typeof token === 'string') {
      const error = new Error('the stream\'s token expired; pass a function as token to renew it');
      error.code = 'token_expired';
      error.expiredAt = event.expiredAt;
      stop();
      o.onError(error);
      o.onStatus('closed');
      return;
    }
    connect();
  }

  /** A backend ended the stream: stay closed, or reconnect after the usual backoff when told to. */
  function disconnected(es) {
    es.close();
    source = null;
    dropSuccessor();
    if (o.reconnectAfterDisconnect) {
      attempt += 1;
      o.onStatus('reconnecting');
      timer = schedule(connect, backoffDelay(attempt - 1, o));
      return;
    }
    stop();
    o.onStatus('closed');
  }

  function stop() {
    closed = true;
    generation += 1;
    if (timer !== null) cancel(timer);
    if (renewTimer !== null) cancel(renewTimer);
    timer = null;
    renewTimer = null;
    if (source) source.close();
    source = null;
    dropSuccessor();
  }

  return {
    channels: list,
    get cursor() {
      return cursor;
    },
    start: connect,
    close: stop,
  };
}

/**
 * What a caller of subscribe() holds: its channels, its callbacks, and the dedupe marks: the last id delivered per
 * channel, so that an event seen twice (around a hand-over or a change of the shared stream) reaches it once.
 * With `jobs: true`, its jobs view too; `job_state` events feed the view only (they are state, not history: no id).
 */
function localSubscription(list, options, ownStream) {
  const {
    onEvent = () => {}, onOpen = () => {}, onError = () => {}, onStatus = () => {}, onResync = () => {},
    onRole = () => {}, onJob = () => {}, reconnectAfterDisconnect = false,
  } = options;
  const marks = new Map();
  let status = null;
  const sub = {
    channels: list,
    /** What its stream must carry: the channels, and JOBS for a jobs view. */
    wanted: options.jobs ? [...list, JOBS] : list,
    view: options.jobs ? new JobsView({ onJob: (job, change) => { if (!sub.closed) onJob(job, change); } }) : null,
    token: options.token,
    closed: false,
    role: ownStream ? 'single' : 'follower',
    leave: () => {},
    wants(event) {
      return event.type === 'disconnect' || !event.channel || list.includes(event.channel);
    },
    deliver(event) {
      if (sub.closed) return;
      const job = sub.view && jobOf(event);
      if (job) sub.view.apply(job);
      if (event.type === 'job_state') return;
      const { channel, id } = event;
      if (event.type === 'resync') {
        marks.delete(channel);
        onResync(channel, event);
      } else if (channel && Number.isFinite(id)) {
        if (marks.has(channel) && id <= marks.get(channel)) return;
        marks.set(channel, id);
      }
      onEvent(event);
      // a stream of its own closes itself; a shared one goes on for the subscriptions that reconnect
      if (!ownStream && event.type === 'disconnect' && !reconnectAfterDisconnect) sub.close();
    },
    setStatus(next, again = false) {
      if (sub.closed || (next === status && !again)) return;
      status = next;
      onStatus(next);
      if (next === 'open') onOpen();
    },
    setRole(role) {
      if (sub.closed || role === sub.role) return;
      sub.role = role;
      onRole(role);
    },
    error(error) {
      if (!sub.closed) onError(error);
    },
    /** Jobs its tab held when it joined, or that the group's leader handed over or settled (herald-jobs.js `settleJobs`). */
    takeJobs(jobs, gone) {
      if (!sub.view || sub.closed) return;
      for (const job of jobs) sub.view.apply(job);
      for (const { jobId, version } of gone) sub.view.remove(jobId, version);
    },
    close() {
      if (sub.closed) return;
      sub.leave();
      status = 'closed';
      sub.closed = true;
      onStatus('closed');
    },
  };
  return sub;
}

/**
 * Subscribes to channels. Events reach `onEvent` (JSON objects, `resync` included); `onOpen` runs each time the
 * stream is live; `onError` on each failure; `onStatus` with 'connecting', 'open', 'reconnecting', 'closed'.
 * A native EventSource stops for good after a 429 or 503; this one closes and reconnects by itself.
 *
 * By default the tabs of an origin signed in as the same user share one stream (see SharedStream below);
 * `shared: false`, a `lastEventId`, or a browser without Web Locks or BroadcastChannel give the subscription a
 * stream of its own.
 *
 * `token` is a string or a function returning a token (or a promise of one); a function is called before every
 * connect, and again a little before the token's `exp` to reopen the stream from its cursor with a fresh one. A
 * stream ends when its token expires (a last `token_expired` event, not passed to `onEvent`): with a function the
 * stream reconnects at once with a fresh token from its cursor, missing nothing; with a string it cannot renew, so
 * it closes and `onError` gets an error whose `code` is 'token_expired'.
 *
 * A backend can end a user's streams (`POST /api/users/{id}/disconnect`): the last event is `disconnect` with a
 * `reason`. It is passed to `onEvent`, then the subscription closes for good (`onStatus('closed')`) unless
 * `reconnectAfterDisconnect: true`, which reconnects from the cursor after the usual backoff.
 *
 * `jobs: true` keeps the user's jobs (`handle.jobs`, `onJob`): the stream asks for `jobs=1` with the user's own
 * channel, added from the token when it can be read now (else it must be listed, or this throws); herald-jobs.js
 * has the rules.
 */
export function subscribe(channels, options = {}) {
  const env = environment(options);
  const given = Array.isArray(channels) ? [...channels] : [channels];
  const list = options.jobs ? withOwnChannel(given, options.token) : given;
  // given as null: as if the browser had none
  const locks = 'locks' in options ? options.locks : globalThis.navigator?.locks;
  const Channel = 'BroadcastChannel' in options ? options.BroadcastChannel : globalThis.BroadcastChannel;
  if (options.shared === false || options.lastEventId || !locks || !Channel) return single(list, options, env);
  return joinShared(list, options, { ...env, locks, Channel });
}

/**
 * The channels of a jobs subscription: the user's own channel (`jobs=1` needs it) is added from the token's `sub`
 * when the token can be read now (a string, or a function that returns one); a token that cannot be read is
 * trusted with any `user:` channel listed (the server refuses another user's). Else there is no stream to open.
 */
function withOwnChannel(list, token) {
  let current = token;
  if (typeof token === 'function' && !list.some((c) => c.startsWith('user:'))) {
    try {
      current = token();
    } catch {
      current = null;
    }
    if (typeof current?.then === 'function') current.then(() => {}, () => {}); // read later by the stream itself
  }
  const sub = tokenClaims(current)?.sub;
  if (typeof sub === 'string') return list.includes(userChannel(sub)) ? list : [...list, userChannel(sub)];
  if (list.some((c) => c.startsWith('user:'))) return list;
  throw new Error('jobs: true needs the user\'s own channel among the channels: list userChannel(sub), or give a '
    + 'token (a JWT, or a function returning one without a promise) whose sub herald.js can read');
}

/** The injectable globals and the stream settings of a subscribe() call. */
function environment(options) {
  return {
    baseUrl: options.baseUrl ?? '',
    withCredentials: options.withCredentials ?? false,
    Source: options.EventSource ?? globalThis.EventSource,
    schedule: options.setTimeout ?? globalThis.setTimeout.bind(globalThis),
    cancel: options.clearTimeout ?? globalThis.clearTimeout.bind(globalThis),
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
    minDelay: options.minDelay ?? BACKOFF.minDelay,
    maxDelay: options.maxDelay ?? BACKOFF.maxDelay,
    renew: options.renewBeforeExpiry ?? true,
    page: options.page ?? globalThis.window ?? null,
    fetch: options.fetch ?? globalThis.fetch,
  };
}

/** A subscription with an EventSource of its own. */
function single(list, options, env) {
  const sub = localSubscription(list, options, true);
  const stream = openStream(sub.wanted, {
    ...env,
    token: options.token,
    cursor: options.lastEventId,
    reconnectAfterDisconnect: options.reconnectAfterDisconnect ?? false,
    onMessage: (event) => sub.deliver(event),
    onReady: (quiet, event) => {
      if (!quiet) sub.setStatus('open', true);
      if (sub.view && Array.isArray(event.jobs)) {
        settleJobs(sub.view, event.jobs, jobReader(env, options.token)).then(({ errors }) => errors.forEach(sub.error));
      }
    },
    onStatus: (status) => sub.setStatus(status, true),
    onError: (error) => sub.error(error),
  });
  sub.leave = () => stream.close();
  stream.start();
  return {
    get cursor() {
      return stream.cursor;
    },
    get channels() {
      return [...list];
    },
    role: 'single',
    get jobs() {
      return sub.view ? sub.view.snapshot() : new Map();
    },
    close: () => sub.close(),
  };
}

/** GET /api/jobs/{jobId} with the stream's token: how a jobs view settles a job it missed the end of. */
function jobReader(env, token) {
  return (jobId) => api(`/api/jobs/${encodeURIComponent(jobId)}`, {
    baseUrl: env.baseUrl, token, fetch: env.fetch,
    // a cookie-authenticated page on another origin sends its cookie here as its EventSource does
    credentials: env.withCredentials ? 'include' : undefined,
  });
}

/**
 * The shared stream's timings (ms): the leader's heartbeat period; the silence after which a follower takes the
 * lock; how long a wider set of tabs' channels waits before the stream narrows; how long a replaced stream keeps
 * delivering after its successor is ready; the longest a follower back from freeze reads on a stream of its own.
 */
export const SHARING = Object.freeze({ heartbeat: 300, silence: 1000, narrowAfter: 3000, overlap: 500, catchUpFor: 10000 });

/** Shared streams by page (a tab; tests pass one object per simulated tab), then by group key. */
const pages = new WeakMap();
const noPage = {};

/** The group of a subscription: tabs share a stream only with tabs of the same base URL and user (`sub`). */
function groupKey(options, currentToken) {
  if (options.sharedKey) return String(options.sharedKey);
  const user = tokenClaims(currentToken)?.sub;
  return `${options.baseUrl ?? ''}|${typeof user === 'string' ? user : ''}`;
}

function joinShared(list, options, env) {
  const sub = localSubscription(list, options, false);
  let stream = null;
  let attempt = 0;
  let timer = null;
  sub.leave = () => {
    if (timer !== null) env.cancel(timer);
    stream?.remove(sub);
  };
  const join = () => {
    timer = null;
    settle(() => (typeof options.token === 'function' ? options.token() : options.token), (current) => {
      if (sub.closed) return;
      const key = groupKey(options, current);
      const page = env.page ?? noPage;
      if (!pages.has(page)) pages.set(page, new Map());
      const streams = pages.get(page);
      if (!streams.has(key)) streams.set(key, new SharedStream(key, env, () => streams.delete(key)));
      stream = streams.get(key);
      stream.add(sub);
    }, (error) => {
      if (sub.closed) return;
      sub.error(error);
      sub.setStatus('reconnecting');
      timer = env.schedule(join, backoffDelay(attempt++, env));
    });
  };
  sub.setStatus('connecting');
  join();
  return {
    get cursor() {
      const resume = stream?.resume;
      return resume && sameSet(resume.channels, sub.wanted) ? resume.cursor : null;
    },
    get channels() {
      return [...list];
    },
    get role() {
      return sub.role;
    },
    get jobs() {
      return sub.view ? sub.view.snapshot() : new Map();
    },
    close: () => sub.close(),
  };
}

function sameSet(a, b) {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((c, i) => c === y[i]);
}

function covers(outer, inner) {
  return inner.every((c) => outer.includes(c));
}

/** Whether an error about `channels` (null: the whole stream; JOBS: the jobs) concerns a subscription. */
function concerns(sub, channels) {
  return !channels || sub.wanted.some((c) => channels.includes(c));
}

/**
 * One stream shared by the tabs of a group. Every tab with an open subscription queues for the group's Web Lock;
 * the holder leads: it holds the one EventSource with the union of every tab's channels, delivers to its own
 * subscriptions and posts each event, with the cursor to resume from, on a BroadcastChannel; the others follow:
 * they deliver what the leader posts and tell it their channels. docs/client.md has the protocol and guarantees.
 * Messages: hello {channels}, bye (follower → leader); leader, beat, event, status, error, fail, resign, jobs (leader
 * → all), each with the leader's epoch, which grows at every change of leader so that a deposed leader is ignored.
 * Every tab keeps the jobs view of the events it delivers (`jobs`); the leader hands its own to a tab that says
 * hello with JOBS, so that a tab joining an open stream shows the running jobs at once, and settles it at each
 * `ready` for all tabs.
 */
class SharedStream {
  constructor(key, env, forget) {
    this.env = env;
    this.name = `herald:${key}`;
    this.forget = forget;
    this.id = `${env.now().toString(36)}-${Math.floor(env.random() * 2 ** 32).toString(36)}-${++tabs}`;
    this.subs = new Set();
    this.role = 'follower';
    this.epoch = 0;
    this.leaderId = null;
    this.status = 'connecting';
    this.live = [];
    this.resume = null;
    this.heard = env.now();
    this.queued = false;
    this.lease = 0;
    this.leases = 0;
    this.release = null;
    this.remote = new Map();
    this.primary = null;
    this.next = null;
    this.narrowTimer = null;
    this.tickTimer = null;
    this.suspended = false;
    this.catching = null;
    this.lastTick = null;
    this.alone = false;
    this.jobs = new JobsView();
    this.channel = new env.Channel(this.name);
    this.channel.onmessage = (message) => this.receive(message.data);
    this.onHide = () => this.suspend(true);
    this.onFreeze = () => this.suspend(false);
    this.onShow = () => this.wake();
    for (const [target, type, handler] of this.pageEvents()) target?.addEventListener?.(type, handler);
  }

  pageEvents() {
    const page = this.env.page;
    return [[page, 'pagehide', this.onHide], [page, 'pageshow', this.onShow], [page?.document, 'freeze', this.onFreeze],
      [page?.document, 'resume', this.onShow]];
  }

  add(sub) {
    this.subs.add(sub);
    sub.setRole(this.role);
    sub.takeJobs(this.jobs.jobs.values(), []);
    if (this.subs.size === 1) {
      this.heard = this.env.now();
      this.tick();
      this.requestLock(false);
    }
    if (this.role === 'leader') this.reconcile();
    else this.post({ t: 'hello', channels: this.mine() });
    this.show(sub);
  }

  remove(sub) {
    if (!this.subs.delete(sub)) return;
    if (this.subs.size > 0) {
      if (this.role === 'leader') this.reconcile();
      else this.post({ t: 'hello', channels: this.mine() });
      return;
    }
    if (this.role === 'leader') this.resign();
    this.caughtUp();
    this.post({ t: 'bye' });
    this.env.cancel(this.tickTimer);
    this.tickTimer = null;
    for (const [target, type, handler] of this.pageEvents()) target?.removeEventListener?.(type, handler);
    this.channel.close();
    this.forget();
  }

  /** The channels of this tab's subscriptions. */
  mine() {
    return [...new Set([...this.subs].flatMap((sub) => sub.wanted))].sort();
  }

  union() {
    return [...new Set([...this.mine(), ...[...this.remote.values()].flat()])].sort();
  }

  post(message) {
    if (this.alone) return;
    try {
      this.channel.postMessage({ ...message, from: this.id, epoch: this.epoch });
    } catch {
      // closed channel: this tab is leaving
    }
  }

  /** A subscription's status follows the leader's stream, and is open once that stream carries its channels. */
  show(sub) {
    if (this.status !== 'open') sub.setStatus(this.status);
    else sub.setStatus(covers(this.live, sub.wanted) ? 'open' : 'connecting');
  }

  setState(status, live = this.live) {
    this.status = status;
    this.live = live;
    for (const sub of this.subs) this.show(sub);
  }

  deliver(event) {
    if (this.catching) this.catching.held.push(event);
    else this.deliverNow(event);
  }

  deliverNow(event) {
    const job = jobOf(event);
    if (job) this.jobs.apply(job);
    for (const sub of [...this.subs]) if (sub.wants(event)) sub.deliver(event);
  }

  /** Jobs the leader handed over or settled: into this tab's view and its subscriptions'. */
  takeJobs(jobs, gone) {
    for (const job of jobs) this.jobs.apply(job);
    for (const { jobId, version } of gone) this.jobs.remove(jobId, version);
    for (const sub of [...this.subs]) sub.takeJobs(jobs, gone);
  }

  /** The leader's stream is ready with the ids of the running jobs: reads those it missed the end of, for all tabs. */
  settleRunning(listed) {
    const token = this.token();
    settleJobs(this.jobs, listed, jobReader(this.env, token)).then(({ jobs, gone, errors }) => {
      if (jobs.length > 0 || gone.length > 0) {
        this.post({ t: 'jobs', jobs, gone });
        this.takeJobs(jobs, gone);
      }
      for (const error of errors) this.spread(error, [JOBS]);
    });
  }

  /**
   * After the page was hidden or frozen this tab may have missed what the leader posted meanwhile (nobody keeps
   * BroadcastChannel messages for a frozen page): read the stream again from the last cursor this tab saw, on an
   * EventSource of its own until that one's `ready`, holding the leader's events back meanwhile (dedupe drops
   * what comes twice).
   */
  catchUp() {
    const resume = this.resume;
    if (!resume?.cursor || this.role === 'leader' || this.catching) return;
    const catching = { held: [] };
    this.catching = catching;
    const stream = openStream(resume.channels, {
      ...this.env,
      cursor: resume.cursor,
      token: this.token(),
      renew: false,
      reconnectAfterDisconnect: false,
      onMessage: (event) => { if (event.type !== 'disconnect') this.deliverNow(event); },
      onReady: () => this.caughtUp(),
      onStatus: () => {},
      onError: () => this.caughtUp(),
    });
    catching.stream = stream;
    catching.timer = this.env.schedule(() => this.caughtUp(), SHARING.catchUpFor);
    stream.start();
  }

  caughtUp() {
    const catching = this.catching;
    if (!catching) return;
    this.catching = null;
    catching.stream.close();
    this.env.cancel(catching.timer);
    for (const event of catching.held) this.deliverNow(event);
  }

  /** Leaders beat; followers watch, twice as often so that a silent leader is replaced within silence + 150 ms. */
  tick() {
    const period = this.role === 'leader' ? SHARING.heartbeat : SHARING.heartbeat / 2;
    const now = this.env.now();
    const last = this.lastTick ?? now;
    this.lastTick = now;
    this.tickTimer = this.env.schedule(() => this.tick(), period);
    if (this.suspended) return;
    if (this.role === 'leader') {
      this.post({ t: 'beat', status: this.status, live: this.live, resume: this.resume, tabs: [...this.remote.keys()] });
    } else if (now - last > 3 * period) {
      // this tab's own timers ran late (a background tab the browser slows down): silence measured now means
      // nothing, and the leader is likely slowed down the same way; start counting again
      this.heard = now;
    } else if (now - this.heard > SHARING.silence) {
      // the leader holds the lock but says nothing (a frozen or hung tab): take the lock from it
      this.heard = now;
      this.requestLock(true);
    }
  }

  requestLock(steal) {
    const lease = ++this.leases;
    if (!steal) this.queued = true;
    this.env.locks.request(this.name, steal ? { steal: true } : {}, () => {
      if (!steal) this.queued = false;
      if (this.subs.size === 0 || this.role === 'leader' || this.suspended) return undefined;
      return new Promise((release) => this.lead(lease, release));
    }).catch((error) => {
      if (this.role === 'leader' && this.lease === lease) {
        this.resign(); // stolen: another tab leads now
      } else if (error?.name !== 'AbortError' && this.role !== 'leader' && this.subs.size > 0) {
        // no locks here after all (an opaque origin, say): this tab keeps a stream of its own, sharing nothing
        this.alone = true;
        this.lead(lease, () => {});
      }
    });
  }

  lead(lease, release) {
    this.caughtUp();
    this.role = 'leader';
    this.lease = lease;
    this.release = release;
    this.epoch += 1;
    this.leaderId = this.id;
    this.remote.clear();
    for (const sub of this.subs) sub.setRole('leader');
    this.post({ t: 'leader' });
    // the same channels as the last leader's stream, from its cursor: nothing published meanwhile is lost
    const resume = this.resume;
    this.primary = this.startStream(resume ? resume.channels : this.mine(), resume?.cursor ?? null);
    this.primary.start();
    this.reconcile();
  }

  /** Stops leading: closes the streams at once, lets the lock go, and queues again while subscriptions remain. */
  follow() {
    this.stopStreams();
    this.role = 'follower';
    const release = this.release;
    this.release = null;
    release?.();
    this.heard = this.env.now();
    for (const sub of this.subs) sub.setRole('follower');
    if (this.subs.size > 0 && !this.suspended && !this.queued) this.requestLock(false);
  }

  resign() {
    this.post({ t: 'resign' });
    this.follow();
  }

  stopStreams() {
    for (const stream of [this.primary, this.next]) stream?.close();
    this.primary = null;
    this.next = null;
    if (this.narrowTimer !== null) this.env.cancel(this.narrowTimer);
    this.narrowTimer = null;
    this.remote.clear();
  }

  /** The page is hidden (maybe into the back/forward cache) or frozen: let another tab lead. */
  suspend(hidden) {
    if (this.suspended || this.subs.size === 0) return;
    this.suspended = true;
    if (this.role === 'leader') this.resign();
    if (hidden) this.post({ t: 'bye' });
  }

  wake() {
    if (!this.suspended) return;
    this.suspended = false;
    this.heard = this.env.now();
    this.post({ t: 'hello', channels: this.mine() });
    if (!this.queued) this.requestLock(false);
    this.catchUp();
  }

  /** The token of the group's streams: any subscription's will do, they are all the same user's. */
  token() {
    const first = this.subs.values().next().value;
    if (typeof first?.token !== 'function') return first?.token;
    return () => ([...this.subs].find((sub) => typeof sub.token === 'function') ?? first).token();
  }

  startStream(channels, cursor) {
    const stream = openStream(channels, {
      ...this.env,
      cursor,
      token: this.token(),
      reconnectAfterDisconnect: true,
      onMessage: (event) => this.leaderEvent(stream, event),
      onReady: (quiet, event) => this.ready(stream, event),
      onStatus: (status) => {
        stream.live = false;
        if (stream !== this.primary) return;
        if (status === 'closed') this.stopStreams();
        else this.announce(status);
      },
      onError: (error) => {
        // a replacement that fails (a channel the user may not read, say) concerns the subscriptions waiting for it
        if (stream === this.next) this.spread(error, stream.channels.filter((c) => !this.primary?.channels.includes(c)));
        if (stream !== this.primary) return;
        if (error?.code === 'token_expired') this.fail(error);
        else this.spread(error);
      },
    });
    return stream;
  }

  leaderEvent(stream, event) {
    if (stream.held) {
      stream.held.push(event);
      return;
    }
    if (stream === this.primary) this.resume = { channels: stream.channels, cursor: stream.cursor };
    this.post({ t: 'event', event, resume: this.resume });
    this.deliver(event);
  }

  ready(stream, event) {
    stream.live = true;
    if (stream.channels.includes(JOBS) && Array.isArray(event.jobs)) this.settleRunning(event.jobs);
    if (stream === this.primary) {
      this.resume = { channels: stream.channels, cursor: stream.cursor };
      this.announce('open');
    }
    this.prepareSwap();
  }

  /**
   * Make-before-break: once the replacing stream is live, the old one keeps delivering for `overlap` (events already
   * on their way through it), then closes and the new one's events, held meanwhile, follow: per channel, older
   * events first, so that dedupe drops only what came twice. An old stream still replaying from a cursor (after a
   * hand-over) or reconnecting is waited for, at most `catchUpFor`.
   */
  prepareSwap() {
    const next = this.next;
    if (!next?.live || next.swapTimer) return;
    if (this.primary && !this.primary.live) {
      next.deadline ??= this.env.schedule(() => this.swap(next), SHARING.catchUpFor);
      return;
    }
    next.swapTimer = this.env.schedule(() => this.swap(next), SHARING.overlap);
  }

  swap(next) {
    if (next !== this.next) return;
    this.env.cancel(next.swapTimer);
    this.env.cancel(next.deadline);
    this.primary?.close();
    this.primary = next;
    this.next = null;
    const held = next.held;
    next.held = null;
    for (const event of held) this.leaderEvent(next, event);
    this.resume = { channels: next.channels, cursor: next.cursor };
    this.announce(next.live ? 'open' : this.status);
    this.reconcile();
  }

  announce(status) {
    const live = status === 'open' ? this.primary.channels : this.live;
    this.post({ t: 'status', status, live, resume: this.resume });
    this.setState(status, live);
  }

  /** Errors reach every tab's subscriptions (as plain Errors: an EventSource's event cannot be posted). */
  spread(error, channels = null) {
    this.post({ t: 'error', message: error?.message ?? 'stream error', code: error?.code, channels });
    for (const sub of this.subs) if (concerns(sub, channels)) sub.error(error);
  }

  /** The stream cannot go on (a string token expired): every subscription of every tab closes. */
  fail(error) {
    this.post({ t: 'fail', message: error.message, code: error.code, expiredAt: error.expiredAt });
    this.closeAll(error);
  }

  closeAll(error) {
    for (const sub of [...this.subs]) {
      sub.error(error);
      sub.close();
    }
  }


  /** Brings the stream's channels to the union: widening at once, make-before-break; narrowing lazily. */
  reconcile() {
    if (this.role !== 'leader' || !this.primary) return;
    // a replacement already live finishes first (its held events are not thrown away); swap() comes back here
    if (this.next?.live) return;
    const wanted = this.union();
    const target = (this.next ?? this.primary).channels;
    if (wanted.length === 0) return;
    if (!covers(target, wanted)) {
      this.switchTo(wanted);
    } else if (sameSet(target, wanted)) {
      if (this.narrowTimer !== null) this.env.cancel(this.narrowTimer);
      this.narrowTimer = null;
    } else if (this.narrowTimer === null) {
      this.narrowTimer = this.env.schedule(() => {
        this.narrowTimer = null;
        const now = this.union();
        if (this.role === 'leader' && !this.next?.live && now.length > 0
          && !sameSet((this.next ?? this.primary).channels, now)) this.switchTo(now);
      }, SHARING.narrowAfter);
    }
  }

  /** Opens the replacement stream (no cursor: none fits a new set), replacing one not yet live. */
  switchTo(channels) {
    this.next?.close();
    this.next = this.startStream(channels, null);
    this.next.held = [];
    this.next.start();
  }

  receive(message) {
    if (!message || message.from === this.id || this.alone) return;
    const { t, from } = message;
    // An end no history repeats (a backend's disconnect; a string token that expired) counts whoever posts it and
    // whatever this tab's role: the lock may reach this tab before the old leader's last message does, and a new
    // stream would neither replay the disconnect nor work with the expired token.
    if (t === 'event' && message.event?.type === 'disconnect') {
      this.deliver(message.event);
      return;
    }
    if (t === 'fail') {
      this.closeAll(Object.assign(new Error(message.message), { code: message.code, expiredAt: message.expiredAt }));
      return;
    }
    if (t === 'hello' || t === 'bye') {
      if (this.role !== 'leader') return;
      if (t === 'hello') this.remote.set(from, message.channels);
      else this.remote.delete(from);
      this.reconcile();
      if (t === 'hello') this.post({ t: 'status', status: this.status, live: this.live, resume: this.resume });
      if (t === 'hello' && message.channels.includes(JOBS)) this.post({ t: 'jobs', jobs: [...this.jobs.jobs.values()], gone: [] });
      return;
    }
    // from a leader: a new one announces itself; a deposed one (lower epoch, not the one we follow) is ignored
    if (t === 'leader') {
      if (this.role === 'leader') this.follow();
      this.epoch = Math.max(this.epoch, message.epoch);
      this.leaderId = from;
    } else if (from !== this.leaderId) {
      // a message from a leader we do not follow: a newer one, or a deposed one to ignore
      if (t === 'resign' || (this.leaderId !== null && message.epoch <= this.epoch)) return;
      if (this.role === 'leader') this.follow();
      this.epoch = Math.max(this.epoch, message.epoch);
      this.leaderId = from;
    }
    if (this.role === 'leader') return;
    this.heard = this.env.now();
    if (message.resume) this.resume = message.resume;
    if (t === 'leader') this.post({ t: 'hello', channels: this.mine() });
    else if (t === 'event') this.deliver(message.event);
    else if (t === 'status') this.setState(message.status, message.live);
    else if (t === 'beat') {
      if (message.status !== this.status || !sameSet(message.live, this.live)) this.setState(message.status, message.live);
      // the leader does not know this tab (a hello lost, or sent before it led): tell it again
      if (this.subs.size > 0 && !message.tabs.includes(this.id)) this.post({ t: 'hello', channels: this.mine() });
    } else if (t === 'error') {
      const error = Object.assign(new Error(message.message), { code: message.code });
      for (const sub of this.subs) if (concerns(sub, message.channels)) sub.error(error);
    } else if (t === 'jobs') {
      this.takeJobs(message.jobs, message.gone);
    } else if (t === 'resign') {
      // the lock goes to the next tab in line; nobody needs to take it by force
      this.leaderId = null;
    }
  }
}

let tabs = 0;

/** Calls Herald's HTTP API with the token; resolves to the parsed JSON (or null), rejects with the error body. */
export async function api(path, { baseUrl = '', token, method = 'GET', body, fetch: doFetch = globalThis.fetch, credentials } = {}) {
  const headers = {};
  const current = typeof token === 'function' ? await token() : token;
  if (current) headers.Authorization = `Bearer ${current}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await doFetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    ...(credentials ? { credentials } : {}),
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
