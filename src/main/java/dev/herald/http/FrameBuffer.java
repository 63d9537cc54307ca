package dev.herald.http;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * The bytes of one batch of SSE frames, written to the response in one call before one flush. Built per batch
 * (no per-connection buffer stays allocated while a stream idles). Confined to the stream's thread.
 */
final class FrameBuffer {
    private static final byte[] DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private byte[] bytes;
    private int size;

    FrameBuffer(int capacity) {
        this.bytes = new byte[Math.max(64, capacity)];
    }

    void put(byte[] source) {
        ensure(source.length);
        System.arraycopy(source, 0, bytes, size, source.length);
        size += source.length;
    }

    void put(byte b) {
        ensure(1);
        bytes[size++] = b;
    }

    /** A non-negative number in base 36, as the cursor spells positions. */
    void putBase36(long value) {
        ensure(13);
        if (value == 0) {
            bytes[size++] = '0';
            return;
        }
        int start = size;
        long v = value;
        while (v > 0) {
            bytes[size++] = DIGITS[(int) (v % 36)];
            v /= 36;
        }
        for (int i = start, j = size - 1; i < j; i++, j--) {
            byte t = bytes[i];
            bytes[i] = bytes[j];
            bytes[j] = t;
        }
    }

    boolean isEmpty() {
        return size == 0;
    }

    void writeTo(OutputStream out) throws IOException {
        out.write(bytes, 0, size);
    }

    private void ensure(int more) {
        if (size + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
        }
    }
}
