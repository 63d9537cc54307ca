package dev.herald;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

import com.sun.management.UnixOperatingSystemMXBean;

/**
 * The process's open-files limit and count, as the JVM reports them. On Linux the JVM raises its soft limit to the
 * hard one at start (-XX:+MaxFDLimit), so the limit read here is the one that {@code accept()} runs into: under
 * {@code prlimit --nofile=1024:1024} it is 1024. Thread-safe (stateless).
 */
final class OpenFiles {
    private OpenFiles() {
    }

    /** The limit, or -1 when the platform does not tell (not a Unix). */
    static long limit() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof UnixOperatingSystemMXBean unix ? unix.getMaxFileDescriptorCount() : -1;
    }

    /** Files open now, or 0 when the platform does not tell. */
    static long open() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof UnixOperatingSystemMXBean unix ? Math.max(0, unix.getOpenFileDescriptorCount()) : 0;
    }
}
