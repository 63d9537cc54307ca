package dev.herald.logging;

/** How log records are written ({@code herald.log.format}). */
public enum LogFormat {
    /** The JDK's text lines, for a person at a terminal: the default. */
    TEXT,
    /** One JSON object per line ({@link JsonLogFormatter}), for a log pipeline. */
    JSON
}
