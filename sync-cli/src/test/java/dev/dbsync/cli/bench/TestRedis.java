package dev.dbsync.cli.bench;

import java.io.IOException;
import java.net.ServerSocket;
import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;

/**
 * A real Redis for the command line's tests: {@code DBSYNC_IT_REDIS_URL} when set, otherwise a {@code redis-server}
 * started once per test JVM (the one on the PATH, else the 6.2 binary bundled by embedded-redis; ~0.1 s).
 */
final class TestRedis {

    private static String url;
    private static String origin;

    private TestRedis() {
    }

    static synchronized String url() throws IOException {
        if (url != null) {
            return url;
        }
        String given = System.getenv("DBSYNC_IT_REDIS_URL");
        if (given != null && !given.isBlank()) {
            origin = "Redis given by DBSYNC_IT_REDIS_URL";
            return url = given;
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ExecutableProvider exe;
        try {
            exe = ExecutableProvider.newExecutableInPath("redis-server");
            origin = "redis-server from the PATH";
        } catch (IOException e) {
            exe = ExecutableProvider.newJarResourceProvider();
            origin = "embedded-redis's bundled redis-server 6.2";
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
        return url = "redis://127.0.0.1:" + port;
    }

    static String origin() {
        return origin;
    }
}
