package dev.herald.redis;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import redis.clients.jedis.HostAndPort;

/**
 * {@code herald.redis.url} read into one of three forms: one Redis, a master found through Sentinel, or the seed
 * nodes of a Redis Cluster. Parsing checks everything it can without connecting; an error message names what is
 * wrong and shows the URL with its password replaced by {@code ***} ({@link #redact}). {@code toString} never shows
 * a password either. Immutable.
 *
 * <pre>
 * redis://[user:password@]host[:port][/db]                                 rediss:// for TLS
 * redis-sentinel://[user:password@]host[:port][,host[:port]…]/master-name[/db]  rediss-sentinel://
 * redis-cluster://[user:password@]host[:port][,host[:port]…]                 rediss-cluster://
 * </pre>
 * The user and password are percent-decoded; they log in to the Redis servers (the master and replicas, or the
 * cluster nodes), not to the sentinels. IPv6 hosts are written in brackets: {@code [::1]:6379}.
 */
public sealed interface RedisUrl {
    int REDIS_PORT = 6379;
    int SENTINEL_PORT = 26379;

    /** The Redis user, or null for the default user. */
    String user();

    /** The password, or null when none. */
    String password();

    boolean tls();

    /** One Redis server. */
    record Standalone(HostAndPort address, String user, String password, int database, boolean tls)
            implements RedisUrl {
        @Override
        public String toString() {
            return scheme("redis", tls) + login(user, password) + show(address) + (database == 0 ? "" : "/" + database);
        }
    }

    /** The master called {@code masterName}, as the sentinels know it. */
    record Sentinel(List<HostAndPort> sentinels, String masterName, String user, String password, int database,
                    boolean tls) implements RedisUrl {
        public Sentinel {
            sentinels = List.copyOf(sentinels);
        }

        @Override
        public String toString() {
            return scheme("redis-sentinel", tls) + login(user, password) + hosts(sentinels) + "/" + masterName
                   + (database == 0 ? "" : "/" + database);
        }
    }

    /** A Redis Cluster, found from any of its {@code seeds}. */
    record Cluster(List<HostAndPort> seeds, String user, String password, boolean tls) implements RedisUrl {
        public Cluster {
            seeds = List.copyOf(seeds);
        }

        @Override
        public String toString() {
            return scheme("redis-cluster", tls) + login(user, password) + hosts(seeds);
        }
    }

    /**
     * Reads one of the forms above.
     *
     * @throws IllegalArgumentException saying what is wrong; the message never shows the password
     */
    static RedisUrl parse(String url) {
        String shown = redact(url);
        int schemeEnd = url.indexOf("://");
        if (schemeEnd < 0) {
            throw bad(shown, "expected redis://, rediss://, redis-sentinel:// or redis-cluster://");
        }
        String scheme = url.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
        String rest = url.substring(schemeEnd + 3);
        if (rest.indexOf('?') >= 0 || rest.indexOf('#') >= 0) {
            throw bad(shown, "query parameters are not read; use the herald.redis.* settings");
        }
        int at = rest.lastIndexOf('@');
        int slash = rest.indexOf('/', at + 1);
        String login = at < 0 ? "" : rest.substring(0, at);
        String authority = rest.substring(at + 1, slash < 0 ? rest.length() : slash);
        List<String> path = slash < 0 || slash == rest.length() - 1 ? List.of()
                : List.of(rest.substring(slash + 1).split("/", -1));
        String user = null;
        String password = null;
        if (at >= 0) {
            int colon = login.indexOf(':');
            if (colon < 0) {
                throw bad(shown, "write the login as user:password@ (or :password@ for the default user)");
            }
            user = login.substring(0, colon).isEmpty() ? null : decode(login.substring(0, colon), shown, "user");
            password = decode(login.substring(colon + 1), shown, "password");
        }
        return switch (scheme) {
            case "redis", "rediss" -> {
                List<HostAndPort> hosts = hosts(authority, REDIS_PORT, shown);
                if (hosts.size() != 1) {
                    throw bad(shown, "redis:// takes one host; use redis-sentinel:// or redis-cluster:// for several");
                }
                if (path.size() > 1) {
                    throw bad(shown, "the path is the database number only");
                }
                yield new Standalone(hosts.get(0), user, password, path.isEmpty() ? 0 : database(path.get(0), shown),
                                     scheme.equals("rediss"));
            }
            case "redis-sentinel", "rediss-sentinel" -> {
                if (path.isEmpty() || path.get(0).isEmpty()) {
                    throw bad(shown, "the master name is missing: redis-sentinel://host:port[,host:port…]/mymaster");
                }
                if (path.size() > 2) {
                    throw bad(shown, "the path is /master-name[/db]");
                }
                yield new Sentinel(hosts(authority, SENTINEL_PORT, shown), decode(path.get(0), shown, "master name"),
                                   user, password, path.size() == 2 ? database(path.get(1), shown) : 0,
                                   scheme.startsWith("rediss"));
            }
            case "redis-cluster", "rediss-cluster" -> {
                if (!path.isEmpty() && !(path.size() == 1 && path.get(0).equals("0"))) {
                    throw bad(shown, "a Redis Cluster has database 0 only and no other path");
                }
                yield new Cluster(hosts(authority, REDIS_PORT, shown), user, password, scheme.startsWith("rediss"));
            }
            default -> throw bad(shown, "unknown scheme '" + scheme
                                        + "'; expected redis, rediss, redis-sentinel or redis-cluster");
        };
    }

    /** The URL with the password (everything between {@code ://} and the last {@code @}) shown as {@code ***}. */
    static String redact(String url) {
        int start = url.indexOf("://");
        int at = url.lastIndexOf('@');
        if (at < 0) {
            return url;
        }
        if (start < 0 || at < start) {
            return "***" + url.substring(at);
        }
        int colon = url.indexOf(':', start + 3);
        String user = colon < 0 || colon > at ? "" : url.substring(start + 3, colon);
        return url.substring(0, start + 3) + user + ":***" + url.substring(at);
    }

    private static List<HostAndPort> hosts(String authority, int defaultPort, String shown) {
        if (authority.isEmpty()) {
            throw bad(shown, "no host");
        }
        List<HostAndPort> hosts = new ArrayList<>();
        for (String part : authority.split(",", -1)) {
            hosts.add(host(part.trim(), defaultPort, shown));
        }
        return hosts;
    }

    private static HostAndPort host(String part, int defaultPort, String shown) {
        String host;
        String port;
        if (part.startsWith("[")) {
            int close = part.indexOf(']');
            if (close < 0) {
                throw bad(shown, "an IPv6 address without its closing ]: '" + part + "'");
            }
            host = part.substring(1, close);
            String after = part.substring(close + 1);
            if (!after.isEmpty() && !after.startsWith(":")) {
                throw bad(shown, "unexpected '" + after + "' after an IPv6 address");
            }
            port = after.isEmpty() ? null : after.substring(1);
        } else {
            int colon = part.indexOf(':');
            if (colon >= 0 && part.indexOf(':', colon + 1) >= 0) {
                throw bad(shown, "write an IPv6 address in brackets: '[" + part + "]'");
            }
            host = colon < 0 ? part : part.substring(0, colon);
            port = colon < 0 ? null : part.substring(colon + 1);
        }
        if (host.isEmpty()) {
            throw bad(shown, "an empty host in '" + part + "'");
        }
        if (!host.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '.' || c == '-' || c == '_' || c == ':'
                                        || c == '%')) {
            throw bad(shown, "not a host name: '" + host + "'");
        }
        int number = defaultPort;
        if (port != null) {
            try {
                number = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                throw bad(shown, "not a port: '" + port + "'");
            }
            if (number < 1 || number > 65535) {
                throw bad(shown, "port " + number + " is not in 1-65535");
            }
        }
        return new HostAndPort(host, number);
    }

    private static int database(String text, String shown) {
        try {
            int db = Integer.parseInt(text);
            if (db >= 0) {
                return db;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw bad(shown, "the database is a number 0 or more, not '" + text + "'");
    }

    /** Percent-decoding as in URIs ({@code +} stays a plus); the error never shows the text when it is a secret. */
    private static String decode(String text, String shown, String what) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '%') {
                bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
                continue;
            }
            int value = i + 2 < text.length() ? hex(text.charAt(i + 1), text.charAt(i + 2)) : -1;
            if (value < 0) {
                throw bad(shown, "the " + what + " has a % not followed by two hex digits (write % as %25)");
            }
            bytes.write(value);
            i += 2;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static int hex(char high, char low) {
        int h = Character.digit(high, 16);
        int l = Character.digit(low, 16);
        return h < 0 || l < 0 ? -1 : h * 16 + l;
    }

    private static IllegalArgumentException bad(String shown, String why) {
        return new IllegalArgumentException(why + ": " + shown);
    }

    private static String scheme(String base, boolean tls) {
        return (tls ? base.replaceFirst("redis", "rediss") : base) + "://";
    }

    private static String login(String user, String password) {
        if (user == null && password == null) {
            return "";
        }
        return (user == null ? "" : user) + ":" + (password == null ? "" : "***") + "@";
    }

    private static String hosts(List<HostAndPort> hosts) {
        return String.join(",", hosts.stream().map(RedisUrl::show).toList());
    }

    /** {@code host:port}, an IPv6 host in brackets. */
    static String show(HostAndPort address) {
        String host = address.getHost();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
