package dev.herald.tracing;

import com.google.errorprone.annotations.MustBeClosed;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;

/**
 * One span that is current on the calling thread until {@link #close}: {@link #NONE} when tracing is off or the trace
 * is not sampled, whose methods do nothing. Owned by the thread that opened it.
 */
public final class Traced implements AutoCloseable {
    /** Nothing traced: what every call returns while tracing is off. */
    public static final Traced NONE = new Traced(null, null);

    private final Span span;
    private final Scope scope;

    private Traced(Span span, Scope scope) {
        this.span = span;
        this.scope = scope;
    }

    /** The span made current on this thread until {@link #close}, which the caller's try-with-resources runs. */
    @MustBeClosed
    @SuppressWarnings("MustBeClosedChecker") // the scope is handed to the Traced, closed by its close()
    static Traced current(Span span) {
        return new Traced(span, span.makeCurrent());
    }

    /** Sets an attribute; returns this. */
    public Traced attribute(String key, long value) {
        if (span != null) {
            span.setAttribute(key, value);
        }
        return this;
    }

    /** The step failed: records the exception and marks the span as an error. */
    public void failed(Throwable error) {
        if (span != null) {
            span.recordException(error);
            span.setStatus(StatusCode.ERROR, error.getClass().getSimpleName());
        }
    }

    /** The span's W3C {@code traceparent}, or null for {@link #NONE}. */
    public String traceparent() {
        return span == null ? null : Tracing.traceparent(span.getSpanContext());
    }

    /** Leaves the span's scope and ends it. */
    @Override
    public void close() {
        if (span != null) {
            scope.close();
            span.end();
        }
    }
}
