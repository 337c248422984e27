package dev.dbsync.crate;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * A real CrateDB for the integration tests, shared by one JVM. Resolved once, in this order:
 * <ol>
 *   <li>{@value #URL_ENV}: the {@code jdbc:postgresql://host:5432/doc} URL of a running CrateDB (user from
 *       {@value #USER_ENV}, default {@code crate}; password from {@value #PASSWORD_ENV});</li>
 *   <li>a Testcontainers CrateDB (image {@value #IMAGE_ENV}, default {@value #DEFAULT_IMAGE}) when a Docker
 *       engine answers;</li>
 *   <li>otherwise {@link #get()} fails with a message saying what is needed, and so do the tests: there is no
 *       stand-in, since PostgreSQL differs from CrateDB exactly where the connector's logic lives.</li>
 * </ol>
 */
public final class CrateServer {

    public static final String URL_ENV = "DBSYNC_IT_CRATE_URL";
    public static final String USER_ENV = "DBSYNC_IT_CRATE_USER";
    public static final String PASSWORD_ENV = "DBSYNC_IT_CRATE_PASSWORD";
    public static final String IMAGE_ENV = "DBSYNC_IT_CRATE_IMAGE";
    public static final String DEFAULT_IMAGE = "crate:6.1";

    private static CrateServer shared;
    private static RuntimeException failure;

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final String kind;

    private CrateServer(String jdbcUrl, String user, String password, String origin) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.kind = origin + ", " + version();
    }

    /** The shared server; throws {@link IllegalStateException} naming what is missing when there is none. */
    public static synchronized CrateServer get() {
        if (shared != null) {
            return shared;
        }
        if (failure != null) {
            throw failure;
        }
        try {
            shared = resolve();
            System.out.println("CrateDB for integration tests: " + shared.kind());
            return shared;
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        }
    }

    private static CrateServer resolve() {
        String url = System.getenv(URL_ENV);
        if (url != null && !url.isBlank()) {
            String user = System.getenv().getOrDefault(USER_ENV, "crate");
            return new CrateServer(CrateSettings.toJdbcUrl(url.trim()), user, System.getenv(PASSWORD_ENV), URL_ENV);
        }
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            docker = false;
        }
        if (!docker) {
            throw new IllegalStateException("No CrateDB for the integration tests: set " + URL_ENV
                    + "=jdbc:postgresql://host:5432/doc (a running CrateDB) or provide a Docker engine for Testcontainers."
                    + " No registry publishes a CrateDB server the tests could start themselves (see sync-crate/README.md).");
        }
        String image = System.getenv().getOrDefault(IMAGE_ENV, DEFAULT_IMAGE);
        @SuppressWarnings("resource") // stopped by Testcontainers' reaper when the JVM ends
        GenericContainer<?> c = new GenericContainer<>(image)
                .withExposedPorts(5432, 4200)
                .withEnv("CRATE_HEAP_SIZE", "1g")
                .withCommand("crate", "-Cdiscovery.type=single-node", "-Cauth.host_based.enabled=false",
                        "-Ccluster.routing.allocation.disk.threshold_enabled=false")
                .waitingFor(Wait.forHttp("/").forPort(4200).withStartupTimeout(Duration.ofMinutes(3)));
        c.start();
        String jdbc = "jdbc:postgresql://" + c.getHost() + ":" + c.getMappedPort(5432) + "/doc";
        return new CrateServer(jdbc, "crate", null, "Testcontainers " + image);
    }

    private String version() {
        try (Connection c = connect(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT version['number'] FROM sys.nodes LIMIT 1")) {
            return rs.next() ? "CrateDB " + rs.getString(1) : "CrateDB (version unknown)";
        } catch (SQLException e) {
            throw new IllegalStateException("CrateDB at " + jdbcUrl + " does not answer: " + e.getMessage(), e);
        }
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    /** Where the server came from and its version, for test output. */
    public String kind() {
        return kind;
    }

    public Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) {
            p.setProperty("password", password);
        }
        return DriverManager.getConnection(jdbcUrl, p);
    }

    /** Sink or source settings for this server plus {@code extra}. */
    public Map<String, Object> config(Object... extra) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("url", jdbcUrl);
        m.put("user", user);
        if (password != null) {
            m.put("password", password);
        }
        for (int i = 0; i < extra.length; i += 2) {
            m.put((String) extra[i], extra[i + 1]);
        }
        return m;
    }
}
