package dev.dbsync.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import dev.dbsync.servers.LocalClickHouse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * A ClickHouse server reachable over the HTTP interface for integration tests, shared by every test of one JVM.
 *
 * <p>{@link #get()} resolves the server once, in this order:
 * <ol>
 *   <li>the environment variable {@value #URL_ENV}: the HTTP URL of a running server, e.g.
 *       {@code http://user:secret@host:8123}; a path segment or a {@code database} parameter names the
 *       database (default {@code default});</li>
 *   <li>a Testcontainers {@value #IMAGE} container, when a Docker engine answers;</li>
 *   <li>the ClickHouse engine of the npm package chdb (a library, not a server) behind a small HTTP front end,
 *       started by {@link LocalClickHouse} (sync-servers, the launcher the demo uses too) as a Node.js child
 *       process. The front end answers the part of the HTTP interface that {@code com.clickhouse:client-v2}
 *       uses; it runs one query at a time and has no authentication.</li>
 * </ol>
 * If none of them can be had, {@link #get()} throws: integration tests never skip silently.
 *
 * <p>A server started here is stopped by a JVM shutdown hook. This class is thread-safe.
 */
public final class ClickHouseServer {

    /** Environment variable holding the HTTP URL of an existing server. */
    public static final String URL_ENV = "DBSYNC_IT_CLICKHOUSE_URL";

    static final String IMAGE = "clickhouse/clickhouse-server:25.8";

    private static final int HTTP_PORT = 8123;
    private static final String CONTAINER_USER = "dbsync";
    private static final String CONTAINER_PASSWORD = "dbsync";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    private static final StartOnce<ClickHouseServer> SHARED = new StartOnce<>();

    private final String httpUrl;
    private final String username;
    private final String password;
    private final String database;
    private final String kind;

    private ClickHouseServer(String httpUrl, String username, String password, String database, String origin) {
        this.httpUrl = requireNonNull(httpUrl, "httpUrl is null");
        this.username = requireNonNull(username, "username is null");
        this.password = requireNonNull(password, "password is null");
        this.database = requireNonNull(database, "database is null");
        this.kind = origin.replace("{version}", query("SELECT version()").trim());
    }

    /**
     * Returns the server shared by this JVM, starting it on first use.
     *
     * @return the started server, never null
     * @throws IllegalStateException when no server can be reached or started; later calls throw the same error
     */
    public static ClickHouseServer get() {
        return SHARED.get(ClickHouseServer::resolve);
    }

    /** Base URL of the HTTP interface without credentials, e.g. {@code http://127.0.0.1:8123}; never null. */
    public String httpUrl() {
        return httpUrl;
    }

    /** User name for the HTTP interface; never null (the chdb front end accepts any). */
    public String username() {
        return username;
    }

    /** Password for the HTTP interface; never null, possibly empty. */
    public String password() {
        return password;
    }

    /** Database the tests should use; never null. */
    public String database() {
        return database;
    }

    /**
     * The settings of the {@code clickhouse} sink or source for this server's database: {@code url}, {@code database},
     * and {@code user} and {@code password} when the server has them. A new map, for the caller to add to.
     */
    public java.util.Map<String, Object> settings() {
        java.util.Map<String, Object> m = new java.util.HashMap<>();
        m.put("url", httpUrl());
        m.put("database", database());
        if (username() != null) {
            m.put("user", username());
        }
        if (password() != null) {
            m.put("password", password());
        }
        return m;
    }

    /** What this server is, for test output: where it came from and its version. Never null. */
    public String kind() {
        return kind;
    }

    @Override
    public String toString() {
        return "ClickHouseServer[" + kind + ", " + httpUrl + "]";
    }

    /**
     * Runs one statement over the HTTP interface with plain JDK HTTP and returns the response body as text
     * (TabSeparated unless the statement names a format). Meant for test set-up, not for data.
     *
     * @throws IllegalStateException when the server answers with an error
     */
    public String query(String sql) {
        requireNonNull(sql, "sql is null");
        HttpRequest request = HttpRequest.newBuilder(URI.create(httpUrl + "/?database=" + encode(database)))
                .header("X-ClickHouse-User", username)
                .header("X-ClickHouse-Key", password)
                .timeout(Duration.ofMinutes(2))
                .POST(HttpRequest.BodyPublishers.ofString(sql, UTF_8))
                .build();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString(UTF_8));
            if (response.statusCode() != 200) {
                throw new IllegalStateException("ClickHouse at " + httpUrl + " answered " + response.statusCode()
                        + " to [" + sql + "]: " + response.body().trim());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException("ClickHouse at " + httpUrl + " did not answer", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static ClickHouseServer resolve() {
        String url = System.getenv(URL_ENV);
        if (url != null && !url.isBlank()) {
            return fromUrl(url.trim());
        }
        if (dockerAvailable()) {
            return startContainer();
        }
        return startChdb();
    }

    // ------------------------------------------------------------------ 1: a given URL

    static ClickHouseServer fromUrl(String url) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(URL_ENV + " is not a URL: " + url, e);
        }
        if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalStateException(URL_ENV + " must be an http(s) URL of the HTTP interface, got: " + url);
        }
        String user = "default";
        String password = "";
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            user = URLDecoder.decode(parts[0], UTF_8);
            password = parts.length > 1 ? URLDecoder.decode(parts[1], UTF_8) : "";
        }
        String database = "default";
        String path = uri.getPath() == null ? "" : uri.getPath().replaceAll("^/+|/+$", "");
        if (!path.isEmpty()) {
            database = path;
        }
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                if (pair.startsWith("database=")) {
                    database = URLDecoder.decode(pair.substring("database=".length()), UTF_8);
                }
            }
        }
        int port = uri.getPort() > 0 ? uri.getPort() : ("https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80);
        String base = uri.getScheme().toLowerCase(Locale.ROOT) + "://" + uri.getHost() + ":" + port;
        return new ClickHouseServer(base, user, password, database, "ClickHouse {version} at $" + URL_ENV);
    }

    // ------------------------------------------------------------------ 2: Testcontainers

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    private static ClickHouseServer startContainer() {
        GenericContainer<?> container = new GenericContainer<>(IMAGE)
                .withExposedPorts(HTTP_PORT)
                .withEnv("CLICKHOUSE_USER", CONTAINER_USER)
                .withEnv("CLICKHOUSE_PASSWORD", CONTAINER_PASSWORD)
                .withEnv("CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT", "1")
                .waitingFor(Wait.forHttp("/ping").forPort(HTTP_PORT).forStatusCode(200)
                        .withStartupTimeout(START_TIMEOUT));
        try {
            container.start();
        } catch (RuntimeException e) {
            throw new IllegalStateException("Docker answers but the " + IMAGE + " container did not start; set "
                    + URL_ENV + " to use an existing ClickHouse", e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "clickhouse-container-stop"));
        String url = "http://" + container.getHost() + ":" + container.getMappedPort(HTTP_PORT);
        return new ClickHouseServer(url, CONTAINER_USER, CONTAINER_PASSWORD, "default",
                "Testcontainers " + IMAGE + " (ClickHouse {version})");
    }

    // ------------------------------------------------------------------ 3: chdb behind the front end

    private static ClickHouseServer startChdb() {
        Path logDir = Files.isDirectory(Path.of("target")) ? Path.of("target").toAbsolutePath()
                : Path.of(System.getProperty("java.io.tmpdir"));
        LocalClickHouse local;
        try {
            local = LocalClickHouse.start(logDir);
        } catch (RuntimeException e) {
            throw new IllegalStateException("No ClickHouse for integration tests: " + URL_ENV + " is not set, no "
                    + "Docker engine answers, and the chdb stand-in did not start; or set " + URL_ENV
                    + " to use an existing ClickHouse", e);
        }
        return new ClickHouseServer(local.httpUrl(), local.username(), local.password(), local.database(),
                local.kind().replace("(ClickHouse engine)", "(ClickHouse {version} engine)"));
    }

    private static String encode(String value) {
        return java.net.URLEncoder.encode(value, UTF_8);
    }
}
