// The demo's export panel: exports a room's history (POST /api/jobs/export) and shows the user's export from the
// jobs view of herald.js (`jobs: true`): its progress, then the download link or the error. Every tab of the user
// shows the same export, a tab opened mid-export included: the view starts with the running jobs' current state.

const roomOf = (channel) => (typeof channel === 'string' ? channel.slice('channel:'.length) : '');

/**
 * Wires the panel's elements. `getClient()` gives the signed-in herald.js client; `room()` the room to export when
 * the button is pressed; `jobs()` the jobs view (a Map by job id) of the page's subscription. The page passes each
 * change of the view to `job(job, change)`.
 */
export function exportPanel({ getClient, room, jobs, button, progress, status }) {
  /** The export job shown, or null; `starting` while this tab's POST has not answered. */
  let shown = null;
  let starting = false;

  const busy = () => starting || shown?.status === 'running';

  function label() {
    button.disabled = busy();
    button.textContent = busy() ? `Exporting #${roomOf(shown?.meta?.channel ?? room())}…` : `Export #${roomOf(room())}`;
  }

  function render(job) {
    shown = job;
    progress.hidden = false;
    progress.value = job.progress;
    const name = roomOf(job.meta?.channel);
    if (job.status === 'running') {
      status.textContent = job.message || `Exporting #${name}…`;
    } else if (job.status === 'complete') {
      const link = document.createElement('a');
      link.id = 'download';
      link.href = getClient().resultUrl(job.result);
      link.download = `${name}-${job.jobId}.ndjson`;
      link.textContent = `Download the export of #${name}`;
      status.replaceChildren(link);
    } else {
      status.textContent = `Export failed: ${job.message || job.error}`;
    }
    label();
  }

  function clear() {
    shown = null;
    progress.hidden = true;
    progress.value = 0;
    status.textContent = '';
    label();
  }

  button.addEventListener('click', async () => {
    if (busy()) return;
    starting = true;
    label();
    const channel = room();
    try {
      const { jobId } = await getClient().startExport(channel);
      starting = false;
      // its first events may have come before the answer: the view has them
      const job = jobs().get(jobId);
      if (job) render(job);
      else render({ jobId, kind: 'export', status: 'running', progress: 0, message: '', meta: { channel }, version: 0 });
    } catch (error) {
      starting = false;
      clear();
      status.textContent = error.message;
    }
  });

  label();
  return {
    /**
     * A change of the jobs view: an export shows when it is the one shown (a newer version), or when it runs and
     * nothing runs here yet (another tab's export, or one running when this tab opened).
     */
    job(job, { removed }) {
      if (job.kind !== 'export') return;
      if (shown?.jobId === job.jobId) {
        if (removed) clear();
        else if (job.version > shown.version) render(job);
      } else if (!removed && job.status === 'running' && !busy()) {
        render(job);
      }
    },
    /** The current room changed: the button says which room it exports. */
    roomChanged() {
      label();
    },
    /** Signed out: forget the export. */
    reset() {
      starting = false;
      clear();
    },
  };
}
