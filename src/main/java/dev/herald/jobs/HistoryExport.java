package dev.herald.jobs;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;

import dev.herald.hub.Broker;
import dev.herald.hub.Event;

/**
 * The built-in job: a channel's retained history as NDJSON (one event per line), written to the job's result as it
 * goes, with progress reported in proportion to the events written, at most once per 5 %, each report followed by
 * a pause of {@code herald.jobs.export-pace} (none by default).
 */
public final class HistoryExport implements Jobs.Work {
    private final Broker broker;
    private final String channel;
    private final Duration pace;

    public HistoryExport(Broker broker, String channel) {
        this(broker, channel, Duration.ZERO);
    }

    public HistoryExport(Broker broker, String channel, Duration pace) {
        this.broker = broker;
        this.channel = channel;
        this.pace = pace;
    }

    @Override
    public void run(JobReporter reporter, OutputStream out) throws IOException, InterruptedException {
        reporter.progress(0, "reading the history of " + channel);
        pause();
        List<Event> events = broker.replay(channel, -1).events();
        int lastReported = 0;
        for (int i = 0; i < events.size(); i++) {
            out.write(events.get(i).data());
            out.write('\n');
            int percent = (int) ((i + 1) * 100L / events.size());
            if (percent >= lastReported + 5 && percent < 100) {
                reporter.progress(percent, (i + 1) + " of " + events.size() + " events written");
                lastReported = percent;
                pause();
            }
        }
        reporter.progress(100, events.size() + " events written");
    }

    private void pause() throws InterruptedException {
        if (!pace.isZero()) {
            Thread.sleep(pace);
        }
    }
}
