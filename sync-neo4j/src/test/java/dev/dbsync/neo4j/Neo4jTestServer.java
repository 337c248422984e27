package dev.dbsync.neo4j;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilders;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * A real Neo4j for the tests, resolved once per JVM: the server at {@value #URL_ENV} (with {@value #USER_ENV} /
 * {@value #PASSWORD_ENV} when it needs authentication); otherwise a {@code neo4j:5.26-community} container when
 * a Docker engine answers; otherwise Neo4j 5.26 in this JVM through the test harness, Bolt on a free port.
 * A server that cannot be had fails the tests.
 */
final class Neo4jTestServer {

    static final String URL_ENV = "DBSYNC_IT_NEO4J_URL";
    static final String USER_ENV = "DBSYNC_IT_NEO4J_USER";
    static final String PASSWORD_ENV = "DBSYNC_IT_NEO4J_PASSWORD";

    private static Neo4jTestServer shared;
    private static RuntimeException failure;

    final String url;
    final String user;
    final String password;
    final String kind;

    private Neo4jTestServer(String url, String user, String password, String kind) {
        this.url = url;
        this.user = user;
        this.password = password;
        this.kind = kind;
    }

    static synchronized Neo4jTestServer get() {
        if (shared != null) {
            return shared;
        }
        if (failure != null) {
            throw failure;
        }
        try {
            shared = resolve();
            System.out.println("Neo4j for tests: " + shared.kind + " at " + shared.url);
            return shared;
        } catch (RuntimeException e) {
            failure = new IllegalStateException("no Neo4j server for the tests: " + e.getMessage(), e);
            throw failure;
        }
    }

    /** The connector settings for this server, plus {@code extra}. */
    Map<String, Object> settings(Object... extra) {
        Map<String, Object> m = new HashMap<>();
        m.put("url", url);
        if (password != null) {
            m.put("user", user == null ? "neo4j" : user);
            m.put("password", password);
        }
        for (int i = 0; i < extra.length; i += 2) {
            m.put((String) extra[i], extra[i + 1]);
        }
        return m;
    }

    private Driver driver;

    /** One driver for the tests' own queries, shared and never closed (the JVM ends with the tests). */
    synchronized Driver driver() {
        if (driver == null) {
            driver = GraphDatabase.driver(url, password == null ? AuthTokens.none()
                    : AuthTokens.basic(user == null ? "neo4j" : user, password));
        }
        return driver;
    }

    private static Neo4jTestServer resolve() {
        String url = System.getenv(URL_ENV);
        if (url != null && !url.isBlank()) {
            return new Neo4jTestServer(url.trim(), System.getenv(USER_ENV), System.getenv(PASSWORD_ENV), "Neo4j from " + URL_ENV);
        }
        if (dockerAvailable()) {
            GenericContainer<?> c = new GenericContainer<>("neo4j:5.26-community")
                    .withEnv("NEO4J_AUTH", "none")
                    .withExposedPorts(7687)
                    .waitingFor(Wait.forLogMessage(".*Started.*", 1).withStartupTimeout(Duration.ofMinutes(3)));
            c.start();
            Runtime.getRuntime().addShutdownHook(new Thread(c::stop));
            return new Neo4jTestServer("bolt://" + c.getHost() + ":" + c.getMappedPort(7687), null, null,
                    "Neo4j 5.26 Community in a container");
        }
        return startInProcess();
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    private static Neo4jTestServer startInProcess() {
        try {
            Path dir = Files.createTempDirectory("dbsync-neo4j-");
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Neo4j neo4j = Neo4jBuilders.newInProcessBuilder(dir)
                    .withDisabledServer()
                    .withConfig(HttpConnector.enabled, false)
                    .withConfig(BoltConnector.enabled, true)
                    .withConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                    .withConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                    .withConfig(GraphDatabaseSettings.pagecache_memory, 64L << 20)
                    // without these Bolt's event loops wait ~10 s at shutdown
                    .withConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                    .withConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(1))
                    .build();
            Runtime.getRuntime().addShutdownHook(new Thread(neo4j::close));
            return new Neo4jTestServer(neo4j.boltURI().toString(), null, null, "Neo4j 5.26 in-process (neo4j-harness)");
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot start Neo4j in-process: " + e, e);
        }
    }
}
