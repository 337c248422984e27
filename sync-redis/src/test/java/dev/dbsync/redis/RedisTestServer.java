package dev.dbsync.redis;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import redis.clients.jedis.Jedis;
import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;

/**
 * A real Redis for the tests, shared by every test of one JVM, resolved once in this order:
 * <ol>
 *   <li>{@value #URL_ENV}: the URL of a running server ({@code redis://[user:password@]host:port[/db]});</li>
 *   <li>a Testcontainers {@code redis:7.2} container, when a Docker engine answers;</li>
 *   <li>a {@code redis-server} started here: Debian's binary when one is on the PATH, otherwise the 6.2 binary
 *       that {@code com.github.codemonstur:embedded-redis} ships (no persistence, bound to 127.0.0.1).</li>
 * </ol>
 * If none can be had the first caller gets the error, and so does every later one: tests fail, never skip.
 * Tests isolate themselves with a unique {@code key.prefix}, so a shared server given by URL is never flushed.
 */
final class RedisTestServer {

    static final String URL_ENV = "DBSYNC_IT_REDIS_URL";

    private static RedisTestServer shared;
    private static RuntimeException failure;

    final String url;
    final String kind;

    private RedisTestServer(String url, String origin) {
        this.url = url;
        String version;
        try (Jedis j = jedis()) {
            String info = j.info("server");
            version = info.lines().filter(l -> l.startsWith("redis_version:")).findFirst().orElse("redis_version:?")
                    .substring("redis_version:".length());
        }
        this.kind = origin + ", Redis " + version;
    }

    static synchronized RedisTestServer get() {
        if (shared != null) {
            return shared;
        }
        if (failure != null) {
            throw failure;
        }
        try {
            shared = resolve();
            System.out.println("Redis for tests: " + shared.kind);
            return shared;
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        }
    }

    private static RedisTestServer resolve() {
        String env = System.getenv(URL_ENV);
        if (env != null && !env.isBlank()) {
            return new RedisTestServer(env.trim(), "given by " + URL_ENV);
        }
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            docker = false;
        }
        if (docker) {
            GenericContainer<?> c = new GenericContainer<>("redis:7.2").withExposedPorts(6379);
            c.start();
            Runtime.getRuntime().addShutdownHook(new Thread(c::stop));
            return new RedisTestServer("redis://" + c.getHost() + ":" + c.getMappedPort(6379), "Testcontainers redis:7.2");
        }
        try {
            int port = freePort();
            ExecutableProvider exe;
            String origin;
            try {
                exe = ExecutableProvider.newExecutableInPath("redis-server");
                origin = "redis-server from the PATH";
            } catch (IOException e) {
                exe = ExecutableProvider.newJarResourceProvider();
                origin = "embedded-redis bundled redis-server";
            }
            RedisServer server = RedisServer.newRedisServer().executableProvider(exe).port(port).bind("127.0.0.1")
                    .setting("save \"\"").setting("appendonly no").build();
            server.start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.stop();
                } catch (IOException ignored) {
                    // the JVM is ending
                }
            }));
            return new RedisTestServer("redis://127.0.0.1:" + port, origin);
        } catch (IOException e) {
            throw new IllegalStateException("no Redis for the tests: " + URL_ENV + " is not set, no Docker engine answers, "
                    + "and redis-server could not be started here: " + e, e);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Settings for a connector on this server with its own key prefix, plus {@code more} (name, value pairs). */
    Map<String, Object> settings(String prefix, Object... more) {
        Map<String, Object> m = new HashMap<>();
        m.put("url", url);
        m.put("key.prefix", prefix);
        for (int i = 0; i < more.length; i += 2) {
            m.put((String) more[i], more[i + 1]);
        }
        return m;
    }

    /** The Redis key of a row, as the sink lays it out with the default separator. */
    String rowKey(String prefix, String table, String keyText) {
        return new KeyLayout(prefix, ":").tablePrefix(table) + keyText;
    }

    Jedis jedis() {
        java.net.URI u = java.net.URI.create(url);
        redis.clients.jedis.DefaultJedisClientConfig.Builder b = redis.clients.jedis.DefaultJedisClientConfig.builder()
                .autoNegotiateProtocol(false);
        String info = u.getUserInfo();
        if (info != null) {
            int colon = info.indexOf(':');
            if (colon > 0) {
                b.user(info.substring(0, colon));
            }
            b.password(colon < 0 ? info : info.substring(colon + 1));
        }
        if (u.getPath() != null && u.getPath().length() > 1) {
            b.database(Integer.parseInt(u.getPath().substring(1)));
        }
        return new Jedis(new redis.clients.jedis.HostAndPort(u.getHost(), u.getPort() < 0 ? 6379 : u.getPort()), b.build());
    }
}
