// The demo page: sign in with a dev token, chat in #general, see who is online, export the room's history.
import { createClient, devToken, userChannel } from '/js/herald.js';

const ROOM = 'channel:general';
const $ = (id) => document.getElementById(id);
const seen = new Set();
const online = new Map();
let client;
let me;
let token;
/** The token for a new stream: a stream ends when its token expires, so renew one close to its end first. */
let freshToken;
let runningJob = null;
/** Job events that arrived before the POST that started the job answered. */
const early = [];

$('signin').addEventListener('submit', async (e) => {
  e.preventDefault();
  const name = $('name').value.trim();
  const userId = name.toLowerCase().replace(/[^a-z0-9._~@-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64) || 'guest';
  me = { userId, name };
  token = await devToken(userId, name);
  freshToken = async () => {
    if (expiresWithin(token, 60)) token = await devToken(userId, name);
    return token;
  };
  client = createClient({ token: () => token });
  $('signin').hidden = true;
  $('app').hidden = false;
  $('who').textContent = `signed in as ${name}`;
  start();
});

/** Whether the JWT's exp is less than `seconds` away. */
function expiresWithin(jwt, seconds) {
  try {
    const payload = JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return payload.exp * 1000 - Date.now() < seconds * 1000;
  } catch {
    return true;
  }
}

function start() {
  client.subscribe([ROOM, userChannel(me.userId)], {
    token: freshToken,
    lastEventId: 'earliest',
    onStatus: (status) => {
      $('status').dataset.status = status;
      $('status').textContent = status === 'open' ? 'live' : status;
    },
    onOpen: refreshPresence,
    onEvent: handle,
  });
}

function handle(event) {
  if (event.jobId && event.jobId !== runningJob && event.type.startsWith('generation_')) {
    early.push(event);
    return;
  }
  if (event.channel === ROOM) {
    const key = `${event.channel}#${event.id}`;
    if (seen.has(key)) return;
    seen.add(key);
  }
  switch (event.type) {
    case 'chat':
      addMessage(event.userName, event.content, event.timestamp);
      break;
    case 'presence':
      if (event.status === 'online') online.set(event.userId, event.userName);
      else online.delete(event.userId);
      renderPresence();
      break;
    case 'resync':
      if (event.channel === ROOM) addSystem('Some messages are no longer available; showing what remains.');
      refreshPresence();
      break;
    case 'generation_progress':
      if (event.jobId === runningJob) {
        $('progress').hidden = false;
        $('progress').value = event.progress;
        $('job').textContent = event.message;
      }
      break;
    case 'generation_complete':
      if (event.jobId === runningJob) {
        $('progress').value = 100;
        const link = document.createElement('a');
        link.id = 'download';
        link.href = client.resultUrl(event.result);
        link.download = `general-${event.jobId}.ndjson`;
        link.textContent = 'Download the export';
        $('job').replaceChildren(link);
        $('export').disabled = false;
      }
      break;
    case 'generation_failed':
      if (event.jobId === runningJob) {
        $('job').textContent = `Export failed: ${event.message}`;
        $('export').disabled = false;
      }
      break;
    default:
  }
}

function addMessage(author, content, timestamp) {
  const li = document.createElement('li');
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
  $('messages').append(li);
  $('messages').scrollTop = $('messages').scrollHeight;
}

function addSystem(text) {
  const li = document.createElement('li');
  li.className = 'system';
  li.textContent = text;
  $('messages').append(li);
}

async function refreshPresence() {
  try {
    const { users } = await client.presence(ROOM);
    online.clear();
    for (const user of users) online.set(user.userId, user.userName);
    renderPresence();
  } catch (error) {
    $('notice').textContent = error.message;
  }
}

function renderPresence() {
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
  if (!content.trim()) return;
  $('message').value = '';
  try {
    await client.chat(ROOM, content);
    $('notice').textContent = '';
  } catch (error) {
    if (!$('message').value) $('message').value = content;
    $('notice').textContent = error.retryAfter ? `${error.message} (retry in ${error.retryAfter} s)` : error.message;
  }
});

$('export').addEventListener('click', async () => {
  $('export').disabled = true;
  $('progress').hidden = false;
  $('progress').value = 0;
  $('job').textContent = 'Starting…';
  try {
    const { jobId } = await client.startExport(ROOM);
    runningJob = jobId;
    for (const event of early.splice(0)) {
      if (event.jobId === jobId) handle(event);
    }
  } catch (error) {
    $('job').textContent = error.message;
    $('export').disabled = false;
  }
});
