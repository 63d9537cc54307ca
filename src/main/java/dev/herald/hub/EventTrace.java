package dev.herald.hub;

/**
 * The trace an event travels in, as the hub and the stream writers see it (the spans themselves are made by
 * {@code dev.herald.tracing}, which the hub does not know). An event carries one only when a pod that traces published
 * it (a pod that does not trace then records nothing: {@link #write} answers null): a writer's only cost while nobody
 * traces is a null check per event.
 *
 * <p>Thread-safe: one object is shared by every stream the event is queued to.
 */
public interface EventTrace {
    /** The W3C {@code traceparent} of the span the event was handed on under. */
    String traceparent();

    /**
     * A stream's writer is about to write the event: what to end once the batch holding it is written, or null when
     * this write is not recorded (one stream per event and pod records its write).
     */
    default Write write() {
        return null;
    }

    /** A recorded write, ended by the writer's thread after the flush. */
    interface Write {
        void end();
    }

    /** The context a message carried from the publishing pod (clustered), before this pod's delivery span. */
    static EventTrace carried(String traceparent) {
        return new Carried(traceparent);
    }

    /**
     * A writer's batch: asks the event's trace whether this write is recorded, and adds it to {@code writes} (created
     * on the first, so that a batch without one allocates nothing).
     */
    static java.util.List<Write> begin(java.util.List<Write> writes, EventTrace trace) {
        Write write = trace.write();
        if (write == null) {
            return writes;
        }
        java.util.List<Write> list = writes == null ? new java.util.ArrayList<>(2) : writes;
        list.add(write);
        return list;
    }

    /** Ends the writes {@link #begin} collected (none when null). */
    static void end(java.util.List<Write> writes) {
        if (writes != null) {
            writes.forEach(Write::end);
        }
    }

    /** See {@link #carried}. */
    record Carried(String traceparent) implements EventTrace {
    }
}
