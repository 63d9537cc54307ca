// React hooks over herald.js: a component subscribes to channels for as long as it is mounted. React is a peer
// dependency, imported by its bare name: use this module through a bundler (or an import map naming 'react').
// Types in herald-react.d.ts. See docs/client.md.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { subscribe } from './herald.js';

// Handlers must be current before any event can arrive after a commit; layout effects run in the commit itself.
// Servers have no layout effects (and no events): there the passive effect, which never runs, is fine.
const useCommitEffect = typeof document === 'undefined' ? useEffect : useLayoutEffect;

/** The channel set as a string that is equal for equal sets: order and repeats do not matter. */
function channelKey(channels) {
  if (channels == null) return '[]';
  const list = Array.isArray(channels) ? channels : [channels];
  return JSON.stringify([...new Set(list.filter((channel) => channel))].sort());
}

/** `previous` itself when `change` changes nothing, so that React skips the render. */
function merge(previous, change) {
  return Object.keys(change).every((name) => Object.is(previous[name], change[name])) ? previous : { ...previous, ...change };
}

/**
 * Subscribes to `channels` (a string or an array; empty, null or undefined: no stream) while the component is
 * mounted, and returns `{status, cursor, error}`. `options` are those of `subscribe`. The stream opens again only
 * when the channel set, `baseUrl`, `shared`, `withCredentials`, or a string `token` changes (a new array of the
 * same channels does not reopen it); other options are read when the stream opens. The handlers (`onEvent`,
 * `onResync`, `onJob`, `onError`, `onStatus`, `onOpen`, and a function `token`) may change on every render: the latest
 * is called. A string token that changes reopens the stream from its cursor, missing nothing.
 */
export function useEventChannel(channels, options = {}) {
  const key = channelKey(channels);
  const latest = useRef({ key, options });
  const cursorOf = useRef({ key, cursor: null });
  const [state, setState] = useState(() => ({ status: key === '[]' ? 'closed' : 'connecting', cursor: null, error: null }));
  useCommitEffect(() => {
    latest.current = { key, options };
  });

  const { baseUrl = '', token, shared, withCredentials } = options;
  const tokenKey = typeof token === 'function' ? 'function' : token;
  useEffect(() => {
    const list = JSON.parse(key);
    if (list.length === 0) {
      setState((previous) => merge(previous, { status: 'closed', cursor: null, error: null }));
      return undefined;
    }
    // a subscription's calls count only while its channels are the rendered ones, so no event of the old channels
    // reaches the new handlers between a render with new channels and the close of the old stream
    let live = true;
    const current = () => (live && latest.current.key === key ? latest.current.options : null);
    const resumeFrom = cursorOf.current.key === key ? cursorOf.current.cursor : null;
    const update = (change) => { if (current()) setState((previous) => merge(previous, change)); };
    setState((previous) => merge(previous, { status: 'connecting', cursor: resumeFrom, error: null }));
    let sub = null; // a client may hand over buffered events before subscribe returns
    sub = subscribe(list, {
      ...latest.current.options,
      token: typeof token === 'function' ? () => {
        const renewed = latest.current.options.token;
        return (typeof renewed === 'function' ? renewed : token)();
      } : token,
      lastEventId: resumeFrom || latest.current.options.lastEventId,
      onEvent: (event) => {
        const handlers = current();
        if (!handlers) return;
        cursorOf.current = { key, cursor: sub?.cursor ?? null };
        handlers.onEvent?.(event);
        update({ cursor: cursorOf.current.cursor });
      },
      onResync: (channel, event) => current()?.onResync?.(channel, event),
      onJob: (job, change) => current()?.onJob?.(job, change),
      onOpen: () => current()?.onOpen?.(),
      onError: (error) => {
        const handlers = current();
        if (!handlers) return;
        handlers.onError?.(error);
        update({ error });
      },
      onStatus: (status) => {
        const handlers = current();
        if (!handlers) return;
        handlers.onStatus?.(status);
        update(status === 'open' ? { status, error: null } : { status });
      },
    });
    return () => {
      live = false;
      cursorOf.current = { key, cursor: sub.cursor };
      sub.close();
    };
  }, [key, baseUrl, tokenKey, shared, withCredentials]);

  return state;
}

/**
 * `useEventChannel` that also keeps the last `limit` events (default 100) in state, oldest first, as `events`;
 * they are cleared when the channel set changes. `onEvent` still runs for each event.
 */
export function useEvents(channels, { limit = 100, ...options } = {}) {
  const key = channelKey(channels);
  const [kept, setKept] = useState({ key, events: [] });
  const state = useEventChannel(channels, {
    ...options,
    onEvent: (event) => {
      options.onEvent?.(event);
      setKept((previous) => ({
        key,
        events: previous.key === key ? [...previous.events, event].slice(-Math.max(1, limit)) : [event],
      }));
    },
  });
  return { ...state, events: kept.key === key ? kept.events : [] };
}

const NO_JOBS = new Map();

/**
 * `useEventChannel` with `jobs: true`: returns the jobs view as `jobs` (a Map by job id, a new one at each change),
 * starting with the user's running jobs. `channels` needs the user's own channel unless the token's `sub` can be read
 * at subscribe time (see `subscribe`); the jobs are cleared when the channel set changes. `onJob` still runs.
 */
export function useJobs(channels, options = {}) {
  const key = channelKey(channels);
  const [kept, setKept] = useState({ key, jobs: NO_JOBS });
  const state = useEventChannel(channels, {
    ...options,
    jobs: true,
    onJob: (job, change) => {
      options.onJob?.(job, change);
      setKept((previous) => {
        const jobs = new Map(previous.key === key ? previous.jobs : NO_JOBS);
        if (change.removed) jobs.delete(job.jobId);
        else jobs.set(job.jobId, job);
        return { key, jobs };
      });
    },
  });
  return { ...state, jobs: kept.key === key ? kept.jobs : NO_JOBS };
}
