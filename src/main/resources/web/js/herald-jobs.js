// The jobs view of herald.js (`subscribe(..., { jobs: true })`): the current state of each job of the signed-in
// user, fed by the `job_state` and `generation_*` events of the user's channel. Every such event carries the whole
// job with a `version` that grows by one per transition, so keeping only a higher version than the one held is
// all the ordering there is: duplicates, replays and stale snapshots never move a job back. See docs/client.md.

/** The events that carry a job: `job_state` (a running job's state at the start of a stream) and its transitions. */
const JOB_EVENTS = new Set(['job_state', 'generation_started', 'generation_progress', 'generation_complete',
  'generation_failed']);

/** Finished jobs a view keeps (the oldest finished goes first); running ones are all kept (the server caps them). */
export const KEEP_FINISHED = 100;

/**
 * The job an event carries (the event without `type`, `channel`, `timestamp` and `id`), or null when it is no job
 * of the jobs API: another type, another channel than a user's, or a `generation_*` event without a `version`
 * (one a worker published itself through `POST /api/publish`).
 */
export function jobOf(event) {
  if (!event || !JOB_EVENTS.has(event.type) || typeof event.jobId !== 'string' || !Number.isFinite(event.version)
    || typeof event.channel !== 'string' || !event.channel.startsWith('user:')) return null;
  const { type, channel, timestamp, id, ...job } = event;
  return job;
}

const running = (job) => job.status === 'running';

/**
 * The jobs of one user, by id. `onJob(job, { removed })` runs for each accepted change: a higher version, or a job
 * that left the view (`removed: true`, with the last state held): the server no longer knows it (404), or it is
 * the oldest finished one past `keepFinished`.
 */
export class JobsView {
  constructor({ onJob = () => {}, keepFinished = KEEP_FINISHED } = {}) {
    this.onJob = onJob;
    this.keepFinished = keepFinished;
    this.jobs = new Map();
    /** Ids of the finished jobs held, oldest first. */
    this.finished = new Set();
  }

  /** Takes `job` when it is newer than the one held (or new); true when it did. */
  apply(job) {
    const held = this.jobs.get(job.jobId);
    if (held && held.version >= job.version) return false;
    this.jobs.set(job.jobId, job);
    this.onJob(job, { removed: false });
    if (!running(job) && !this.finished.has(job.jobId)) {
      this.finished.add(job.jobId);
      if (this.finished.size > this.keepFinished) this.remove(this.finished.values().next().value, Infinity);
    }
    return true;
  }

  /** Forgets a job (the server answered 404 for it), unless an event newer than `version` came meanwhile. */
  remove(jobId, version) {
    const held = this.jobs.get(jobId);
    if (!held || held.version > version) return false;
    this.jobs.delete(jobId);
    this.finished.delete(jobId);
    this.onJob(held, { removed: true });
    return true;
  }

  /** The jobs held as running that `listed` (the ids a `ready` event names) does not name, with their versions. */
  unlisted(listed) {
    const ids = new Set(listed);
    return [...this.jobs.values()].filter((job) => running(job) && !ids.has(job.jobId))
      .map(({ jobId, version }) => ({ jobId, version }));
  }

  /** A copy of the jobs, by id. */
  snapshot() {
    return new Map(this.jobs);
  }
}

/**
 * Settles what `view` holds as running but a `ready` event's `listed` ids (the user's running jobs as of the
 * server's read) do not name: such a job finished or failed while no stream carried its event, so `fetchJob(jobId)`
 * (GET /api/jobs/{jobId}) reads it. Its answer goes through the version rule like an event; a 404 (the job expired)
 * removes it unless a newer event came meanwhile. Resolves to what changed, `{ jobs, gone, errors }`, for a leader
 * to pass on to the other tabs.
 */
export async function settleJobs(view, listed, fetchJob) {
  const answers = await Promise.all(view.unlisted(listed).map(async ({ jobId, version }) => {
    try {
      return { job: await fetchJob(jobId) };
    } catch (error) {
      return error?.status === 404 ? { gone: { jobId, version } } : { error };
    }
  }));
  const changed = { jobs: [], gone: [], errors: [] };
  for (const { job, gone, error } of answers) {
    if (job && view.apply(job)) changed.jobs.push(job);
    if (gone && view.remove(gone.jobId, gone.version)) changed.gone.push(gone);
    if (error) changed.errors.push(error);
  }
  return changed;
}
