// The demo's export panel: exports a room's history (POST /api/jobs/export) and follows the job's generation_*
// events on the user's channel. Kept apart from the chat so that it can move to the jobs API (issue 18) alone.

/**
 * Wires the panel's elements. `getClient()` gives the signed-in herald.js client; `room()` the room to export when
 * the button is pressed. The page passes every event to `handle`, which answers whether it was a job event.
 */
export function exportPanel({ getClient, room, button, progress, status }) {
  /** The export this tab started: `{ room, jobId }`, jobId null until the POST answers; null when none runs. */
  let running = null;
  /** Job events that arrived before the POST that started the job answered (they may belong to it). */
  let early = [];

  function label() {
    button.textContent = `Export #${room().slice('channel:'.length)}`;
  }

  function finish() {
    running = null;
    early = [];
    button.disabled = false;
    label();
  }

  function apply(event) {
    switch (event.type) {
      case 'generation_progress':
        progress.hidden = false;
        progress.value = event.progress;
        status.textContent = event.message;
        break;
      case 'generation_complete': {
        progress.value = 100;
        const link = document.createElement('a');
        link.id = 'download';
        link.href = getClient().resultUrl(event.result);
        link.download = `${running.room.slice('channel:'.length)}-${event.jobId}.ndjson`;
        link.textContent = `Download the export of #${running.room.slice('channel:'.length)}`;
        status.replaceChildren(link);
        finish();
        break;
      }
      case 'generation_failed':
        status.textContent = `Export failed: ${event.message}`;
        finish();
        break;
      default:
    }
  }

  button.addEventListener('click', async () => {
    if (running) return;
    running = { room: room(), jobId: null };
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    status.textContent = `Exporting #${running.room.slice('channel:'.length)}…`;
    try {
      const { jobId } = await getClient().startExport(running.room);
      running.jobId = jobId;
      for (const event of early.splice(0)) {
        if (running?.jobId === jobId && event.jobId === jobId) apply(event);
      }
    } catch (error) {
      status.textContent = error.message;
      progress.hidden = true;
      finish();
    }
  });

  label();
  return {
    /** Whether `event` is a job event; applies it when it belongs to this tab's export. */
    handle(event) {
      if (typeof event.type !== 'string' || !event.type.startsWith('generation_')) return false;
      if (!running) return true; // another tab's export, or one that already ended
      if (running.jobId === null) early.push(event);
      else if (event.jobId === running.jobId) apply(event);
      return true;
    },
    /** The current room changed: the button says which room it exports. */
    roomChanged() {
      if (!running) label();
    },
    /** Signed out: forget the running export. */
    reset() {
      finish();
      progress.hidden = true;
      progress.value = 0;
      status.textContent = '';
    },
  };
}
