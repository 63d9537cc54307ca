package dev.herald.jobs;

import java.io.ByteArrayOutputStream;
import java.util.List;

import dev.herald.hub.Broker;
import dev.herald.hub.Event;

/**
 * The built-in job: a channel's retained history as NDJSON (one event per line), with progress reported in
 * proportion to the events written, at most once per 5 %.
 */
public final class HistoryExport implements Jobs.Work {
    private final Broker broker;
    private final String channel;

    public HistoryExport(Broker broker, String channel) {
        this.broker = broker;
        this.channel = channel;
    }

    @Override
    public byte[] run(JobReporter reporter) {
        reporter.progress(0, "reading the history of " + channel);
        List<Event> events = broker.replay(channel, -1).events();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int lastReported = 0;
        for (int i = 0; i < events.size(); i++) {
            out.writeBytes(events.get(i).data());
            out.write('\n');
            int percent = (int) ((i + 1) * 100L / events.size());
            if (percent >= lastReported + 5 && percent < 100) {
                reporter.progress(percent, (i + 1) + " of " + events.size() + " events written");
                lastReported = percent;
            }
        }
        reporter.progress(100, events.size() + " events written");
        return out.toByteArray();
    }
}
