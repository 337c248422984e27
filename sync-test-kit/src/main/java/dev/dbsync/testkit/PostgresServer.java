package dev.dbsync.testkit;

import static java.util.Objects.requireNonNull;

import dev.dbsync.servers.LocalPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.PostgreSQLContainer;

/**
 * A real PostgreSQL server for integration tests, shared by every test of one JVM.
 *
 * <p>{@link #get()} resolves the server once, in this order:
 * <ol>
 *   <li>the environment variable {@value #URL_ENV}: a {@code jdbc:postgresql:} URL of a running server;
 *       the user and password come from its {@code user}/{@code password} parameters or from
 *       {@value #USER_ENV} / {@value #PASSWORD_ENV};</li>
 *   <li>a Testcontainers {@code postgres:17} container with {@code wal_level=logical}, when a Docker engine
 *       answers;</li>
 *   <li>an embedded PostgreSQL 17 started in this JVM by {@link LocalPostgres} (sync-servers, the launcher the
 *       demo uses too), with {@code wal_level=logical}.</li>
 * </ol>
 * If none of them can be had, {@link #get()} throws: integration tests never skip silently.
 *
 * <p>A server started here is stopped by a JVM shutdown hook. Tests isolate themselves with
 * {@link #createDatabase(String)}, which returns the URL of a new, uniquely named, empty database.
 * The user has the REPLICATION attribute on the container and the embedded server (it is a superuser there);
 * for a server given by URL that is the caller's responsibility.
 *
 * <p>This class is thread-safe.
 */
public final class PostgresServer {

    /** Environment variable holding the JDBC URL of an existing server. */
    public static final String URL_ENV = "DBSYNC_IT_POSTGRES_URL";
    /** Environment variable holding the user for {@link #URL_ENV}, when the URL does not carry it. */
    public static final String USER_ENV = "DBSYNC_IT_POSTGRES_USER";
    /** Environment variable holding the password for {@link #URL_ENV}, when the URL does not carry it. */
    public static final String PASSWORD_ENV = "DBSYNC_IT_POSTGRES_PASSWORD";

    private static final String IMAGE = "postgres:17";
    private static final String URL_PREFIX = "jdbc:postgresql:";
    private static final AtomicLong DATABASE_COUNTER = new AtomicLong();

    private static final StartOnce<PostgresServer> SHARED = new StartOnce<>();

    private final String jdbcUrl;
    private final String username;
    private final String password;
    private final String kind;

    private PostgresServer(String jdbcUrl, String username, String password, String origin) {
        this.jdbcUrl = requireNonNull(jdbcUrl, "jdbcUrl is null");
        this.username = username;
        this.password = password;
        this.kind = origin + ", " + serverVersion();
    }

    /**
     * Returns the server shared by this JVM, starting it on first use.
     *
     * @return the started server, never null
     * @throws IllegalStateException when no server can be reached or started; later calls throw the same error
     */
    public static PostgresServer get() {
        return SHARED.get(PostgresServer::resolve);
    }

    /** JDBC URL of the server's default database; never null. */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    /**
     * JDBC URL of another database on the same server, keeping the default URL's parameters.
     *
     * @param database database name, not quoted
     * @return the URL, never null
     */
    public String jdbcUrl(String database) {
        requireNonNull(database, "database is null");
        return replaceDatabase(jdbcUrl, database);
    }

    /** User name for {@link #connect()}; may be null when the URL carries it. */
    public String username() {
        return username;
    }

    /** Password for {@link #connect()}; may be null (the embedded server trusts local connections). */
    public String password() {
        return password;
    }

    /** What this server is, for test output: where it came from and its version. Never null. */
    public String kind() {
        return kind;
    }

    @Override
    public String toString() {
        return "PostgresServer[" + kind + ", " + jdbcUrl + "]";
    }

    /** Opens a connection to the default database; the caller closes it. */
    public Connection connect() throws SQLException {
        return connect(jdbcUrl);
    }

    /** Opens a connection to the given JDBC URL of this server with this server's credentials. */
    public Connection connect(String url) throws SQLException {
        requireNonNull(url, "url is null");
        Properties properties = new Properties();
        if (username != null) {
            properties.setProperty("user", username);
        }
        if (password != null) {
            properties.setProperty("password", password);
        }
        return DriverManager.getConnection(url, properties);
    }

    /**
     * The settings of the {@code postgres} source or sink for a database of this server: {@code url}, and {@code user}
     * and {@code password} when the server has them. A new map, for the caller to add to.
     */
    public java.util.Map<String, Object> settings(String url) {
        java.util.Map<String, Object> m = new java.util.HashMap<>();
        m.put("url", requireNonNull(url, "url is null"));
        if (username() != null) {
            m.put("user", username());
        }
        if (password() != null) {
            m.put("password", password());
        }
        return m;
    }

    /**
     * Creates a new empty database whose name starts with {@code prefix} and is unique on this server.
     *
     * @param prefix letters, digits and underscores are kept, other characters become underscores
     * @return the JDBC URL of the new database, never null
     */
    public String createDatabase(String prefix) {
        requireNonNull(prefix, "prefix is null");
        String clean = prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        if (clean.isEmpty() || !Character.isLetter(clean.charAt(0))) {
            clean = "db_" + clean;
        }
        String suffix = "_" + ProcessHandle.current().pid() + "_" + DATABASE_COUNTER.incrementAndGet()
                + "_" + Long.toString(System.nanoTime() & 0xffffff, 36);
        if (clean.length() + suffix.length() > 63) {
            clean = clean.substring(0, 63 - suffix.length());
        }
        String name = clean + suffix;
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE \"" + name + "\"");
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create database " + name + " on " + this, e);
        }
        return jdbcUrl(name);
    }

    private String serverVersion() {
        try (Connection connection = connect();
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SHOW server_version")) {
            rs.next();
            return "PostgreSQL " + rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL at " + jdbcUrl + " does not answer: " + e.getMessage(), e);
        }
    }

    private static PostgresServer resolve() {
        String url = System.getenv(URL_ENV);
        if (url != null && !url.isBlank()) {
            return fromUrl(url.trim());
        }
        if (dockerAvailable()) {
            return startContainer();
        }
        return startEmbedded();
    }

    private static PostgresServer fromUrl(String url) {
        if (!url.startsWith(URL_PREFIX)) {
            throw new IllegalStateException(URL_ENV + " must be a jdbc:postgresql: URL, got: " + url);
        }
        String user = firstNonBlank(System.getenv(USER_ENV), queryParameter(url, "user"));
        String password = firstNonBlank(System.getenv(PASSWORD_ENV), queryParameter(url, "password"));
        return new PostgresServer(url, user, password, "PostgreSQL from " + URL_ENV);
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    private static PostgresServer startContainer() {
        PostgreSQLContainer<?> container = new PostgreSQLContainer<>(IMAGE);
        container.withCommand("postgres",
                "-c", "wal_level=logical",
                "-c", "max_wal_senders=10",
                "-c", "max_replication_slots=10",
                "-c", "max_connections=200",
                "-c", "fsync=off");
        try {
            container.start();
        } catch (RuntimeException e) {
            throw new IllegalStateException("Docker answers but the " + IMAGE + " container did not start; set "
                    + URL_ENV + " to use an existing PostgreSQL", e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "postgres-container-stop"));
        return new PostgresServer(container.getJdbcUrl(), container.getUsername(), container.getPassword(),
                "Testcontainers " + IMAGE);
    }

    private static PostgresServer startEmbedded() {
        LocalPostgres local;
        try {
            local = LocalPostgres.start();
        } catch (RuntimeException e) {
            throw new IllegalStateException("No PostgreSQL for integration tests: " + URL_ENV
                    + " is not set, no Docker engine answers, and the embedded PostgreSQL did not start", e);
        }
        return new PostgresServer(local.jdbcUrl(), local.username(), null, local.kind());
    }

    /** Replaces the database segment of a {@code jdbc:postgresql://hosts/db?params} URL. */
    static String replaceDatabase(String url, String database) {
        int query = url.indexOf('?');
        String base = query < 0 ? url : url.substring(0, query);
        String params = query < 0 ? "" : url.substring(query);
        String rest = base.substring(URL_PREFIX.length());
        String head;
        if (rest.startsWith("//")) {
            int slash = rest.indexOf('/', 2);
            head = URL_PREFIX + (slash < 0 ? rest : rest.substring(0, slash));
        } else {
            // jdbc:postgresql:database form: local host, default port
            head = URL_PREFIX + "//localhost";
        }
        return head + "/" + database + params;
    }

    private static String queryParameter(String url, String name) {
        int query = url.indexOf('?');
        if (query < 0) {
            return null;
        }
        for (String pair : url.substring(query + 1).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static String firstNonBlank(String a, String b) {
        if (a != null && !a.isBlank()) {
            return a;
        }
        return b;
    }
}
