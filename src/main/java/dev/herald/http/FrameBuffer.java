package dev.herald.http;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * The bytes of one batch of SSE frames, written to the response in one call before one flush. Built per batch
 * (no per-connection buffer stays allocated while a stream idles). With head room, the batch can be written as one
 * HTTP/1.1 chunk in a single write ({@link #writeChunkTo}). Confined to the stream's thread.
 */
final class FrameBuffer {
    /** Room for a chunk's size line: up to 8 hex digits and CRLF. */
    static final int CHUNK_HEAD = 10;
    private static final byte[] DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    /** Where the frames start: the bytes before are head room for a chunk's size line. */
    private final int start;
    private byte[] bytes;
    private int size;

    FrameBuffer(int capacity) {
        this(capacity, 0);
    }

    /** @param headroom bytes kept free before the frames ({@link #CHUNK_HEAD} to write them as a chunk) */
    FrameBuffer(int capacity, int headroom) {
        this.start = headroom;
        this.size = headroom;
        this.bytes = new byte[Math.max(64, capacity + headroom + 2)];
    }

    void put(byte[] source) {
        ensure(source.length);
        System.arraycopy(source, 0, bytes, size, source.length);
        size += source.length;
    }

    /** Appends another buffer's frames. */
    void put(FrameBuffer other) {
        int length = other.size();
        ensure(length);
        System.arraycopy(other.bytes, other.start, bytes, size, length);
        size += length;
    }

    /** The frames' length in bytes (head room not counted). */
    int size() {
        return size - start;
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
        int first = size;
        long v = value;
        while (v > 0) {
            bytes[size++] = DIGITS[(int) (v % 36)];
            v /= 36;
        }
        for (int i = first, j = size - 1; i < j; i++, j--) {
            byte t = bytes[i];
            bytes[i] = bytes[j];
            bytes[j] = t;
        }
    }

    boolean isEmpty() {
        return size == start;
    }

    void writeTo(OutputStream out) throws IOException {
        out.write(bytes, start, size - start);
    }

    /** Writes the frames as one HTTP/1.1 chunk (size line, frames, CRLF) in one call; needs {@link #CHUNK_HEAD}. */
    void writeChunkTo(OutputStream out) throws IOException {
        int length = size - start;
        int head = start - 2;
        bytes[head] = '\r';
        bytes[head + 1] = '\n';
        int v = length;
        do {
            bytes[--head] = DIGITS[v & 0xf];
            v >>>= 4;
        } while (v != 0);
        ensure(2);
        bytes[size] = '\r';
        bytes[size + 1] = '\n';
        out.write(bytes, head, size + 2 - head);
    }

    private void ensure(int more) {
        if (size + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
        }
    }
}
