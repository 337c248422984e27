package dev.dbsync.redis;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.SyncException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The connection settings every Redis component shares, and the pool built from them. A URL's user and password
 * are never shown in messages: {@link #where()} prints host, port and database only.
 */
final class RedisConnection implements AutoCloseable {

    static final String URL = "url";
    static final String USER = "user";
    static final String PASSWORD = "password";
    static final String TIMEOUT = "timeout";
    static final String PREFIX = "key.prefix";
    static final String SEPARATOR = "key.separator";

    /** Settings shared by the sink, the source and the checkpoint store. */
    static final ConfigDef CONNECTION = ConfigDef.builder()
            .required(URL, ConfigType.STRING, Validator.startsWith("redis://", "rediss://"),
                    "Redis server, redis://host:port[/database] (rediss:// for TLS); a standalone server or a primary")
            .optional(USER, ConfigType.STRING, null, "ACL user name (Redis 6+); overrides one in the URL")
            .secret(PASSWORD, null, "password (AUTH); overrides one in the URL")
            .optional(TIMEOUT, ConfigType.DURATION, "10s", "connect and socket timeout")
            .optional(PREFIX, ConfigType.STRING, "dbsync",
                    "first part of every key: <prefix><separator><table><separator><key>; empty = no prefix")
            .optional(SEPARATOR, ConfigType.STRING, ":", Validator.matches("[^%~]+", "non-empty and free of '%' and '~'"),
                    "separator between prefix, table and key parts; occurrences inside names and values are escaped")
            .build();

    private final JedisPool pool;
    private final String where;
    final KeyLayout layout;

    private RedisConnection(JedisPool pool, String where, KeyLayout layout) {
        this.pool = pool;
        this.where = where;
        this.layout = layout;
    }

    static RedisConnection open(Config config, int maxConnections) {
        String url = config.getString(URL);
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new ConfigException(URL, "not a valid URL (" + e.getReason() + ")");
        }
        if (uri.getHost() == null) {
            throw new ConfigException(URL, "has no host");
        }
        int port = uri.getPort() < 0 ? 6379 : uri.getPort();
        int database = 0;
        String path = uri.getPath();
        if (path != null && path.length() > 1) {
            try {
                database = Integer.parseInt(path.substring(1));
            } catch (NumberFormatException e) {
                throw new ConfigException(URL, "the path must be a database number, e.g. redis://host:6379/0");
            }
        }
        String user = null;
        String password = null;
        String info = uri.getRawUserInfo();
        if (info != null) {
            int colon = info.indexOf(':');
            user = decode(colon < 0 ? info : info.substring(0, colon));
            password = colon < 0 ? null : decode(info.substring(colon + 1));
            if (user.isEmpty()) {
                user = null;
            }
        }
        if (config.has(USER)) {
            user = config.getString(USER);
        }
        if (config.has(PASSWORD)) {
            password = config.getString(PASSWORD);
        }
        int timeout = (int) Math.min(Integer.MAX_VALUE, config.getDuration(TIMEOUT).toMillis());
        DefaultJedisClientConfig.Builder cc = DefaultJedisClientConfig.builder()
                .database(database).timeoutMillis(timeout).clientName("dbsync").autoNegotiateProtocol(false)
                .ssl("rediss".equalsIgnoreCase(uri.getScheme()));
        if (user != null) {
            cc.user(user);
        }
        if (password != null) {
            cc.password(password);
        }
        GenericObjectPoolConfig<Jedis> pc = new GenericObjectPoolConfig<>();
        pc.setMaxTotal(maxConnections);
        pc.setMaxIdle(maxConnections);
        pc.setMaxWait(Duration.ofMillis(timeout));
        pc.setJmxEnabled(false);
        pc.setTestOnBorrow(false);
        String where = uri.getScheme() + "://" + uri.getHost() + ":" + port + "/" + database;
        JedisPool pool = new JedisPool(pc, new HostAndPort(uri.getHost(), port), cc.build());
        try (Jedis j = pool.getResource()) {
            j.ping();
        } catch (JedisException e) {
            pool.close();
            throw new SyncException(ErrorType.EXTERNAL, "cannot reach Redis at " + where + " (setting '" + URL + "'): "
                    + Errors.describe(e), e);
        }
        KeyLayout layout = new KeyLayout(config.getString(PREFIX) == null ? "" : config.getString(PREFIX),
                config.getString(SEPARATOR));
        return new RedisConnection(pool, where, layout);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    Jedis get() {
        try {
            return pool.getResource();
        } catch (JedisException e) {
            throw Errors.translate("connect to " + where, e);
        }
    }

    /** Host, port and database, never credentials. */
    String where() {
        return where;
    }

    @Override
    public void close() {
        pool.close();
    }
}
