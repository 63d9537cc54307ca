package dev.herald.client;

/**
 * Whether a report the server refused on a retry had in fact landed (on an earlier attempt whose answer was lost)
 * or holds anyway: the rules, without I/O, so that each case has a unit test. A retried report that the server
 * refuses as {@code job_finished} or {@code progress_regressed} is a success when the job, read afterwards, is where
 * the call asked it to be:
 * <ul>
 * <li>complete: the job is complete (whatever landed first, its result is the one kept);
 * <li>fail with a code: the job failed with that code (not, say, {@code worker_lost});
 * <li>progress {@code p}: the job is running at {@code p} or beyond. Progress only says "at least this far", so a
 *     higher value that landed meanwhile (this call's own first attempt racing a later report, or another thread's
 *     report) already says what this one would; the message kept is the later report's.
 * </ul>
 * A refusal on the first attempt is never turned into a success: nothing of this call can have landed before it.
 */
final class RetriedReports {
    private RetriedReports() {
    }

    /** Whether a retried {@code complete} refused with {@code job_finished} holds, the job being {@code now}. */
    static boolean completeHolds(String refusal, Job now) {
        return "job_finished".equals(refusal) && now.status() == Job.Status.COMPLETE;
    }

    /** Whether a retried {@code fail} with {@code code} refused with {@code job_finished} holds. */
    static boolean failHolds(String code, String refusal, Job now) {
        return "job_finished".equals(refusal) && now.status() == Job.Status.FAILED
               && now.error().orElse("").equals(code);
    }

    /** Whether a retried progress report of {@code progress} refused with {@code progress_regressed} holds. */
    static boolean progressHolds(double progress, String refusal, Job now) {
        return "progress_regressed".equals(refusal) && now.running() && now.progress() >= progress;
    }

    /**
     * Whether a refusal may hide a report of this call that landed: a 409 on a retry (an earlier attempt got no
     * answer, or a 5xx that may have come after the change was stored).
     */
    static boolean mayHaveLanded(HeraldException refusal) {
        return refusal.attempts() > 1 && refusal.status() == 409;
    }
}
