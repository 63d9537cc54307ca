package dev.herald.jobs;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Logger;

import com.google.errorprone.annotations.concurrent.GuardedBy;

/**
 * Job results as files, one per job, in a directory this pod creates at {@link #start} and deletes at
 * {@link #close}, within a byte budget that covers results being written and results kept. A write that would pass
 * the budget first deletes the oldest kept results; if it still does not fit, it fails (its job fails), and a result
 larger than the whole budget fails without evicting anything. So the heap
 * holds only each result's size, never its bytes. Thread-safe: the budget, the sizes and the directory are guarded by
 * {@code this}; writes to one file come from its job's thread only.
 */
final class ResultStore implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ResultStore.class.getName());

    /** A result that does not fit the budget; its message may reach the job's owner. */
    static final class TooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        TooLargeException() {
            super("the export is larger than this server keeps");
        }
    }

    /** Told the id of each result deleted to make room, from the writing thread. */
    interface Evictions {
        void evicted(String jobId);
    }

    private final Path parent;
    private final long maxBytes;
    private final Evictions evictions;
    @GuardedBy("this")
    private Path dir;
    /** Bytes of every file in the directory, written or being written. */
    @GuardedBy("this")
    private long used;
    /** Finished results → their size, oldest first: the eviction order. */
    @GuardedBy("this")
    private final LinkedHashMap<String, Long> kept = new LinkedHashMap<>();
    /** Results being written → the bytes reserved so far. */
    @GuardedBy("this")
    private final Map<String, Long> writing = new LinkedHashMap<>();

    ResultStore(Path parent, long maxBytes, Evictions evictions) {
        this.parent = parent;
        this.maxBytes = maxBytes;
        this.evictions = evictions;
    }

    /** Creates this pod's own directory under the parent. */
    synchronized void start() {
        try {
            Files.createDirectories(parent);
            dir = Files.createTempDirectory(parent, "herald-results-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a results directory under " + parent, e);
        }
    }

    /** The directory results are written to; null before {@link #start}. */
    synchronized Path directory() {
        return dir;
    }

    /** A new file for the job's result; every byte written is taken from the budget. */
    synchronized OutputStream create(String jobId) throws IOException {
        if (dir == null) {
            throw new IOException("the results directory is not ready");
        }
        OutputStream file = Files.newOutputStream(file(jobId));
        writing.put(jobId, 0L);
        return new FilterOutputStream(file) {
            @Override
            public void write(int b) throws IOException {
                reserve(jobId, 1);
                out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                reserve(jobId, len);
                out.write(b, off, len);
            }
        };
    }

    /** The job's file is complete: it is kept until evicted or forgotten. */
    synchronized long keep(String jobId) {
        Long size = writing.remove(jobId);
        long bytes = size == null ? 0 : size;
        kept.put(jobId, bytes);
        return bytes;
    }

    /** Deletes the job's file, written, being written or kept, and gives back its bytes. */
    synchronized void forget(String jobId) {
        Long size = writing.remove(jobId);
        if (size == null) {
            size = kept.remove(jobId);
        }
        if (size != null) {
            used -= size;
            delete(jobId);
        }
    }

    /** Opens the kept result, or null when it is not kept (evicted, forgotten, failed). */
    synchronized InputStream open(String jobId) throws IOException {
        // opened under the lock, so an eviction cannot delete it in between; once open, a deleted file stays readable
        return kept.containsKey(jobId) ? Files.newInputStream(file(jobId)) : null;
    }

    /** Bytes on disk, written and being written. */
    synchronized long bytes() {
        return used;
    }

    /** Deletes every file and the directory. */
    @Override
    public synchronized void close() {
        if (dir == null) {
            return;
        }
        for (String jobId : kept.keySet()) {
            delete(jobId);
        }
        for (String jobId : writing.keySet()) {
            delete(jobId);
        }
        kept.clear();
        writing.clear();
        used = 0;
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            LOG.warning("Could not delete the results directory " + dir + ": " + e);
        }
        dir = null;
    }

    private synchronized void reserve(String jobId, int len) throws IOException {
        Long reserved = writing.get(jobId);
        if (reserved == null) {
            throw new IOException("the result of job " + jobId + " was dropped");
        }
        if (reserved + len > maxBytes) {
            // could never fit: evicting others would not help it
            throw new TooLargeException();
        }
        Iterator<Map.Entry<String, Long>> oldest = kept.entrySet().iterator();
        while (used + len > maxBytes && oldest.hasNext()) {
            Map.Entry<String, Long> victim = oldest.next();
            oldest.remove();
            used -= victim.getValue();
            delete(victim.getKey());
            evictions.evicted(victim.getKey());
        }
        if (used + len > maxBytes) {
            throw new TooLargeException();
        }
        used += len;
        writing.put(jobId, reserved + len);
    }

    @GuardedBy("this")
    private void delete(String jobId) {
        try {
            Files.deleteIfExists(file(jobId));
        } catch (IOException e) {
            LOG.warning("Could not delete the result of job " + jobId + ": " + e);
        }
    }

    @GuardedBy("this")
    private Path file(String jobId) {
        return dir.resolve(jobId + ".ndjson");
    }
}
