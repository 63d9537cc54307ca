package dev.herald.logging;

import dev.herald.hub.LogText;

/**
 * One request of the access log, the parameter of its log record: {@link JsonLogFormatter} writes each field, a text
 * formatter writes {@link #toString}, the line the access log has always had (the user is not in it). Nothing here
 * carries a query string or a header, so no token can reach a log through it.
 *
 * @param peer     the client's address
 * @param method   the request method, as sent
 * @param path     the raw path as sent, without its query string (where {@code access_token} travels)
 * @param protocol e.g. {@code HTTP/1.1}
 * @param status   the status answered
 * @param millis   how long the request took, in milliseconds (for a stream: how long it was open)
 * @param user     the user id of the verified token, or null for a request without one
 */
public record RequestLine(String peer, String method, String path, String protocol, int status, long millis,
                          String user) {
    @Override
    public String toString() {
        return peer + " " + LogText.escape(method) + " " + LogText.escape(path) + " " + protocol + " " + status + " "
               + millis + "ms";
    }
}
