package dev.herald.tracing;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToIntFunction;

import dev.herald.hub.BrokerListener;
import dev.herald.hub.Event;
import dev.herald.hub.EventTrace;
import dev.herald.hub.Revocations;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;

/**
 * Put between the broker and the hub while tracing is on (never when off): a traced event's {@code deliver} span on
 * this pod, from the broker's hand-over until the event is queued to every local subscriber, and the event handed on
 * with an {@link EventTrace} whose first writer records its {@code stream.write}. Every other call goes straight to
 * the hub. Called on the broker's delivering thread (the subscriber thread clustered, the publishing thread
 * embedded).
 */
final class TracedListener implements BrokerListener {
    private final BrokerListener hub;
    private final ToIntFunction<String> subscribers;
    private final Tracer tracer;

    TracedListener(BrokerListener hub, ToIntFunction<String> subscribers, Tracer tracer) {
        this.hub = hub;
        this.subscribers = subscribers;
        this.tracer = tracer;
    }

    @Override
    public void deliver(Event event) {
        Context parent;
        if (event.trace() != null) {
            // clustered: the context the publishing pod put in the Redis message
            parent = Tracing.extract(event.trace().traceparent());
        } else if (Span.current().getSpanContext().isValid()) {
            // embedded: delivery runs on the publishing thread, inside its publish span
            parent = Context.current();
        } else {
            hub.deliver(event);
            return;
        }
        Span span = tracer.spanBuilder("deliver").setParent(parent).setSpanKind(SpanKind.CONSUMER)
                          .setAttribute(Tracing.CHANNEL, event.channel())
                          .setAttribute(Tracing.EVENT_ID, event.id())
                          .setAttribute("herald.subscribers", subscribers.applyAsInt(event.channel()))
                          .startSpan();
        try {
            if (span.isRecording()) {
                hub.deliver(event.traced(new Written(span.getSpanContext(), event)));
            } else {
                // not sampled: the writers need not ask
                hub.deliver(event.trace() == null ? event : event.traced(null));
            }
        } finally {
            span.end();
        }
    }

    @Override
    public void historyLost() {
        hub.historyLost();
    }

    @Override
    public void resync(String channel, long from, Break reason) {
        hub.resync(channel, from, reason);
    }

    @Override
    public void probeUser(String userId) {
        hub.probeUser(userId);
    }

    @Override
    public void disconnectUser(String userId, String reason) {
        hub.disconnectUser(userId, reason);
    }

    @Override
    public void revokeUser(String userId, Revocations.Revocation revocation, String reason) {
        hub.revokeUser(userId, revocation, reason);
    }

    @Override
    public void controlListening() {
        hub.controlListening();
    }

    /**
     * A delivered event's trace for the writers: the first stream to write it records a {@code stream.write} span
     * (child of {@code deliver}, from before its frame until its batch is flushed); the others record nothing, so a
     * fanout of 10,000 costs two spans per event and pod, not 10,001.
     */
    private final class Written implements EventTrace {
        private final SpanContext deliver;
        private final Event event;
        private final AtomicBoolean taken = new AtomicBoolean();

        Written(SpanContext deliver, Event event) {
            this.deliver = deliver;
            this.event = event;
        }

        @Override
        public String traceparent() {
            return Tracing.traceparent(deliver);
        }

        @Override
        public Write write() {
            if (taken.get() || !taken.compareAndSet(false, true)) {
                return null;
            }
            Span span = tracer.spanBuilder("stream.write")
                              .setParent(Context.root().with(Span.wrap(deliver)))
                              .setSpanKind(SpanKind.INTERNAL)
                              .setAttribute(Tracing.CHANNEL, event.channel())
                              .setAttribute(Tracing.EVENT_ID, event.id())
                              .startSpan();
            return span::end;
        }
    }
}
