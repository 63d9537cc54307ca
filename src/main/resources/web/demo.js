// The demo page: sign in with a dev token (remembered for every tab of the origin), chat in several rooms with
// unread counts, see who is online in the current room, export the current room's history (demo-export.js).
// One subscription carries every joined room and the user's channel, so switching rooms never reconnects.
import { createClient, devToken, tokenClaims, userChannel } from '/js/herald.js';
import { exportPanel } from '/demo-export.js';

const ROOMS = ['channel:general', 'channel:random', 'channel:help'];
const ROOM_NAME = /^[A-Za-z0-9._~@-]{1,128}$/;
const SIGNED_IN = 'herald-demo.user';
/** Messages kept per room: enough to read back, bounded so that a busy room cannot grow a tab without end. */
const KEEP = 500;
const $ = (id) => document.getElementById(id);

let client = null;
let me = null;
let token = null;
let current = ROOMS[0];
/** Rooms this user joined (subscribed to), kept per user for the origin so that every tab asks for the same ones. */
let joined = new Set();
/** The subscription delivering events, and a wider or narrower one waiting for its first `ready` to replace it. */
let live = null;
let next = null;
/** History reads still running (loadHistory). */
const histories = new Set();
/**
 * Per channel, the ids of the events handled lately: history reads overlap live events, and a replacement
 * subscription the old. Bounded per channel, oldest out first, at four times the server's default history (1000).
 */
let seen = new Map();
const SEEN_PER_CHANNEL = 4000;
let rooms = new Map();

const panel = exportPanel({
  getClient: () => client, room: () => current, jobs: () => (live ?? next)?.sub?.jobs ?? new Map(),
  button: $('export'), progress: $('progress'), status: $('job'),
});

/** What the page holds for a room: its messages, unread count and online users. */
function room(channel) {
  if (!rooms.has(channel)) rooms.set(channel, { messages: [], unread: 0, online: new Map() });
  return rooms.get(channel);
}

const nameOf = (channel) => channel.slice('channel:'.length);

function remembered() {
  try {
    const user = JSON.parse(localStorage.getItem(SIGNED_IN));
    return user && typeof user.userId === 'string' && typeof user.name === 'string' ? user : null;
  } catch {
    return null;
  }
}

function joinedKey() {
  return `herald-demo.rooms:${me.userId}`;
}

function saveJoined() {
  localStorage.setItem(joinedKey(), JSON.stringify([...joined]));
}

function loadJoined() {
  let stored = [];
  try {
    stored = JSON.parse(localStorage.getItem(joinedKey())) || [];
  } catch {
    stored = [];
  }
  return new Set([ROOMS[0], ...stored.filter((c) => typeof c === 'string' && ROOM_NAME.test(nameOf(c)))]);
}

$('signin').addEventListener('submit', (e) => {
  e.preventDefault();
  const name = $('name').value.trim();
  const userId = name.toLowerCase().replace(/[^a-z0-9._~@-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64) || 'guest';
  localStorage.setItem(SIGNED_IN, JSON.stringify({ userId, name }));
  signIn({ userId, name });
});

$('signout').addEventListener('click', () => {
  localStorage.removeItem(SIGNED_IN);
  signOut();
});

// Another tab signed in or out: follow it (the storage event fires in every other tab of the origin).
window.addEventListener('storage', (e) => {
  if (e.key !== SIGNED_IN && e.key !== null) return;
  const user = remembered();
  if (me && user?.userId === me.userId) return;
  if (me) signOut();
  if (user) signIn(user);
});

async function signIn(user) {
  me = user;
  $('signin').hidden = true;
  $('app').hidden = false;
  $('signout').hidden = false;
  $('who').textContent = `signed in as ${user.name}`;
  try {
    const first = await devToken(user.userId, user.name);
    if (me !== user) return; // signed out meanwhile
    token = first;
  } catch (error) {
    $('notice').textContent = `Could not sign in: ${error.message}`;
    return;
  }
  client = createClient({ token: () => token });
  joined = loadJoined();
  current = ROOMS[0];
  renderRooms();
  show(current);
  subscribeAll([...joined]);
}

function signOut() {
  me = null;
  token = null;
  for (const sub of [live, next, ...histories]) sub?.close();
  histories.clear();
  live = null;
  next = null;
  client = null;
  seen = new Map();
  rooms = new Map();
  panel.reset();
  $('messages').replaceChildren();
  $('presence').replaceChildren();
  $('rooms').replaceChildren();
  $('app').hidden = true;
  $('signin').hidden = false;
  $('signout').hidden = true;
  $('who').textContent = '';
  showStatus('closed');
  showRole(undefined);
}

/**
 * The token for a new stream or call: a stream ends when its token expires, so renew one near its end first (in its
 * last fifth, when herald.js renews ahead of `exp`, or its last minute).
 */
async function freshToken() {
  const user = me;
  if (renewalDue(token)) {
    const renewed = await devToken(user.userId, user.name);
    if (me === user) token = renewed;
  }
  return token;
}

/** Whether the JWT is in the last fifth of its lifetime (`exp` − `iat`) or its last minute, or unreadable. */
function renewalDue(jwt) {
  const claims = tokenClaims(jwt);
  if (!claims) return true;
  const { iat, exp } = claims;
  if (!Number.isFinite(exp)) return false;
  const left = exp * 1000 - Date.now();
  return left < Math.max(60000, Number.isFinite(iat) ? 0.2 * (exp - iat) * 1000 : 0);
}

/**
 * Subscribes to every joined room and the user's channel: one subscription, which herald.js shares with the other
 * tabs of the origin. When the set changes, the new subscription replaces the old one once it is live, so the rooms
 * both have never see this user go offline and back. It asks for no history (a cursor would give the tab a stream
 * of its own): once it is live, `loadHistory` reads that of `newRooms`.
 */
function subscribeAll(newRooms = []) {
  const previous = next;
  // rooms whose history to read once this subscription is live, so that no event falls between the two
  const history = new Set([...(previous?.history ?? []), ...newRooms]);
  const entry = { sub: null, role: undefined, history, close() { this.sub?.close(); } };
  next = entry;
  previous?.close(); // superseded before it went live
  entry.sub = client.subscribe([...joined, userChannel(me.userId)], {
    token: freshToken,
    jobs: true,
    // the jobs view of each subscription starts with the running jobs (another tab's export included)
    onJob: (job, change) => panel.job(job, change),
    onStatus: (status) => {
      if (entry === (live ?? next)) showStatus(status, entry);
    },
    onRole: (role) => {
      entry.role = role;
      if (entry === (live ?? next)) showRole(role);
    },
    onOpen: () => {
      if (entry === next) {
        const old = live;
        live = entry;
        next = null;
        old?.close();
      }
      const toRead = [...entry.history].filter((channel) => joined.has(channel));
      entry.history.clear();
      if (toRead.length > 0) loadHistory(toRead);
      if (entry === live) {
        showStatus('open', entry);
        refreshPresence(current);
      }
    },
    onEvent: (event) => handle(event, false),
  });
}

/**
 * What history still holds of `channels`, once: a stream of this tab's own from 'earliest', closed at its `ready`.
 * Its chat lands among the live events by id; its presence events are old news (the presence list says who is
 * online now), so they are skipped.
 */
function loadHistory(channels) {
  const user = me;
  const history = client.subscribe(channels, {
    token: freshToken,
    lastEventId: 'earliest',
    shared: false,
    onOpen: () => {
      history.close();
      histories.delete(history);
    },
    onEvent: (event) => {
      if (me === user) handle(event, true);
    },
  });
  histories.add(history);
}

function showStatus(status, entry) {
  $('status').dataset.status = status;
  $('status').textContent = status === 'open' ? 'live' : status;
  if (entry) showRole(entry.role ?? entry.sub?.role);
}

/** With the shared stream of herald.js, whether this tab holds the origin's one stream or follows another tab. */
function showRole(role) {
  const text = { leader: 'this tab holds the stream', follower: 'following another tab\'s stream' }[role];
  $('role').hidden = !text;
  $('role').dataset.role = role ?? '';
  $('role').textContent = text ?? '';
}

/** An event of the live subscription, or one that `loadHistory` read (never unread, presence skipped). */
function handle(event, fromHistory) {
  // a room left while the subscription that still includes it is replaced
  if (event.channel.startsWith('channel:') && !joined.has(event.channel)) return;
  if (event.id !== undefined) {
    if (!seen.has(event.channel)) seen.set(event.channel, new Set());
    const ids = seen.get(event.channel);
    if (ids.has(event.id)) return;
    ids.add(event.id);
    if (ids.size > SEEN_PER_CHANNEL) ids.delete(ids.values().next().value);
  }
  if (!joined.has(event.channel)) return; // the user's channel: its jobs reach the panel through onJob
  const r = room(event.channel);
  switch (event.type) {
    case 'chat':
      addMessage(event.channel, { id: event.id, author: event.userName, content: event.content, timestamp: event.timestamp });
      if (event.channel !== current && !fromHistory && event.userId !== me.userId) {
        r.unread += 1;
        renderRooms();
      }
      break;
    case 'presence':
      if (fromHistory) break;
      if (event.status === 'online') r.online.set(event.userId, event.userName);
      else r.online.delete(event.userId);
      if (event.channel === current) renderPresence();
      break;
    case 'resync':
      addMessage(event.channel, { id: event.id, system: 'Some messages are no longer available; showing what remains.' });
      if (event.channel === current) refreshPresence(current);
      break;
    default:
  }
}

/** Adds a message in id order (history and live events may arrive interleaved), keeping the last KEEP. */
function addMessage(channel, message) {
  const r = room(channel);
  let at = r.messages.length;
  while (at > 0 && message.id !== undefined && r.messages[at - 1].id > message.id) at -= 1;
  r.messages.splice(at, 0, message);
  if (r.messages.length > KEEP) r.messages.splice(0, r.messages.length - KEEP);
  if (channel !== current) return;
  const list = $('messages');
  if (at === r.messages.length - 1) {
    list.append(messageItem(message));
    while (list.childElementCount > KEEP) list.firstElementChild.remove();
  } else {
    list.replaceChildren(...r.messages.map(messageItem));
  }
  list.scrollTop = list.scrollHeight;
}

function messageItem({ author, content, timestamp, system }) {
  const li = document.createElement('li');
  if (system) {
    li.className = 'system';
    li.textContent = system;
    return li;
  }
  li.className = 'message';
  const who = document.createElement('span');
  who.className = 'author';
  who.textContent = author;
  const text = document.createElement('span');
  text.className = 'content';
  text.textContent = content;
  const time = document.createElement('time');
  time.className = 'time';
  time.textContent = new Date(timestamp).toLocaleTimeString();
  li.append(who, text, time);
  return li;
}

/** The room list: joined rooms with their unread counts, then the fixed rooms not joined yet. */
function renderRooms() {
  const all = [...new Set([...ROOMS, ...joined])];
  $('rooms').replaceChildren(...all.map((channel) => {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.room = channel;
    button.className = joined.has(channel) ? 'room' : 'room not-joined';
    if (channel === current) button.setAttribute('aria-current', 'true');
    const label = document.createElement('span');
    label.className = 'room-name';
    label.textContent = `#${nameOf(channel)}`;
    button.append(label);
    const unread = rooms.get(channel)?.unread ?? 0;
    if (unread > 0) {
      const badge = document.createElement('span');
      badge.className = 'unread';
      badge.textContent = String(unread);
      badge.setAttribute('aria-label', `${unread} unread`);
      button.append(badge);
    }
    if (!joined.has(channel)) button.title = 'Join this room';
    button.addEventListener('click', () => enter(channel));
    li.append(button);
    return li;
  }));
}

/** Shows a room, joining it first when needed (which widens the subscription). */
function enter(channel) {
  if (!joined.has(channel)) {
    joined.add(channel);
    saveJoined();
    subscribeAll([channel]);
  }
  show(channel);
}

function show(channel) {
  current = channel;
  const r = room(channel);
  r.unread = 0;
  renderRooms();
  $('room-title').textContent = `#${nameOf(channel)}`;
  $('presence-title').textContent = `Online in #${nameOf(channel)}`;
  $('leave').hidden = channel === ROOMS[0];
  $('messages').replaceChildren(...r.messages.map(messageItem));
  $('messages').scrollTop = $('messages').scrollHeight;
  renderPresence();
  panel.roomChanged();
  if (live) refreshPresence(channel);
}

$('leave').addEventListener('click', () => {
  const channel = current;
  if (channel === ROOMS[0] || !joined.has(channel)) return;
  joined.delete(channel);
  saveJoined();
  rooms.delete(channel);
  seen.delete(channel);
  subscribeAll();
  show(ROOMS[0]);
});

$('join').addEventListener('submit', (e) => {
  e.preventDefault();
  const name = $('room-name').value.trim().replace(/^#/, '');
  if (!ROOM_NAME.test(name)) {
    $('notice').textContent = 'A room name is 1 to 128 letters, digits or . _ ~ @ -';
    return;
  }
  $('room-name').value = '';
  $('notice').textContent = '';
  enter(`channel:${name}`);
});

/** Loads who is online in a room: on opening it and when the stream (re)connects, never on a timer. */
async function refreshPresence(channel) {
  const asked = client;
  try {
    const { users } = await asked.presence(channel);
    if (client !== asked || !joined.has(channel)) return;
    const online = room(channel).online;
    online.clear();
    for (const user of users) online.set(user.userId, user.userName);
    if (channel === current) renderPresence();
  } catch (error) {
    if (client === asked) $('notice').textContent = error.message;
  }
}

function renderPresence() {
  const online = room(current).online;
  const items = [...online.entries()].sort((a, b) => a[1].localeCompare(b[1])).map(([userId, name]) => {
    const li = document.createElement('li');
    li.dataset.userId = userId;
    li.textContent = name;
    return li;
  });
  $('presence').replaceChildren(...items);
}

$('composer').addEventListener('submit', async (e) => {
  e.preventDefault();
  const content = $('message').value;
  if (!content.trim() || !client) return;
  $('message').value = '';
  try {
    await client.chat(current, content);
    $('notice').textContent = '';
  } catch (error) {
    if (!$('message').value) $('message').value = content;
    $('notice').textContent = error.retryAfter ? `${error.message} (retry in ${error.retryAfter} s)` : error.message;
  }
});

const user = remembered();
if (user) signIn(user);
