package dev.herald.hub;

/**
 * Client input made safe for one log line: every character that could end a line or steer a terminal (C0 controls,
 * DEL, C1 controls such as U+0085, U+2028, U+2029) becomes a visible escape ({@code \r}, {@code \n}, {@code \t},
 * {@code \u0085}), and a backslash is doubled so that an escape cannot be faked. Pure and thread-safe.
 */
public final class LogText {
    /** Longest text kept from one piece of client input; the rest is replaced by a marker. */
    static final int MAX_CHARS = 2048;

    private LogText() {
    }

    public static String escape(CharSequence text) {
        if (text == null) {
            return "null";
        }
        int length = Math.min(text.length(), MAX_CHARS);
        StringBuilder out = null;
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            String escape = escapeOf(c);
            if (escape != null && out == null) {
                out = new StringBuilder(length + 16).append(text, 0, i);
            }
            if (out != null) {
                out.append(escape == null ? String.valueOf(c) : escape);
            }
        }
        String kept = out != null ? out.toString() : text.subSequence(0, length).toString();
        return text.length() > MAX_CHARS ? kept + "...(" + text.length() + " chars)" : kept;
    }

    private static String escapeOf(char c) {
        return switch (c) {
            case '\r' -> "\\r";
            case '\n' -> "\\n";
            case '\t' -> "\\t";
            case '\\' -> "\\\\";
            default -> c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029'
                    ? String.format(java.util.Locale.ROOT, "\\u%04x", (int) c) : null;
        };
    }
}
