package dev.herald.redis;

import java.nio.file.Path;
import java.util.Optional;

import redis.clients.jedis.SslOptions;

/**
 * How a {@code rediss://} connection checks the server (a trust store) and, when Redis asks for client certificates
 * ({@code tls-auth-clients yes}), which certificate it shows (a key store). Without a trust store the JVM's default
 * trust applies. The host name is always verified against the certificate. {@code toString} hides the passwords.
 */
public record RedisTls(Optional<Path> trustStore, String trustStorePassword, String trustStoreType,
                       Optional<Path> keyStore, String keyStorePassword, String keyStoreType) {
    /** The JVM's default trust, no client certificate. */
    public static final RedisTls DEFAULT = new RedisTls(Optional.empty(), "", "PKCS12", Optional.empty(), "", "PKCS12");

    /** Jedis' form; null when nothing is configured (the JVM defaults). */
    SslOptions options() {
        if (trustStore.isEmpty() && keyStore.isEmpty()) {
            return null;
        }
        SslOptions.Builder options = SslOptions.builder();
        trustStore.ifPresent(path -> options.truststore(path.toFile(), trustStorePassword.toCharArray())
                .trustStoreType(trustStoreType));
        keyStore.ifPresent(path -> options.keystore(path.toFile(), keyStorePassword.toCharArray())
                .keyStoreType(keyStoreType));
        return options.build();
    }

    @Override
    public String toString() {
        return "RedisTls[trustStore=" + trustStore + ", keyStore=" + keyStore + "]";
    }
}
