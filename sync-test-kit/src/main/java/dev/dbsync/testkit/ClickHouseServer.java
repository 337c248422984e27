package dev.dbsync.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
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
 *   <li>the ClickHouse engine of the npm package chdb 3.4.0 (a library, not a server) behind the small HTTP
 *       front end shipped in this test kit ({@code chdb/server.js}), run by Node.js as a child process (the
 *       Node.js 18+ on the PATH, or one fetched from the npm registry: see {@link NodeRuntime}).
 *       The package is installed once with {@code npm ci} into {@value #CACHE_DIR_NAME} under
 *       {@code ~/.cache/dbsync/} and reused while its lockfile is unchanged. The front end answers the part of
 *       the HTTP interface that {@code com.clickhouse:client-v2} uses; it runs one query at a time and has no
 *       authentication (see {@code server.js} for its limits).</li>
 * </ol>
 * If none of them can be had, {@link #get()} throws: integration tests never skip silently.
 *
 * <p>A server started here is stopped by a JVM shutdown hook. This class is thread-safe.
 */
public final class ClickHouseServer {

    /** Environment variable holding the HTTP URL of an existing server. */
    public static final String URL_ENV = "DBSYNC_IT_CLICKHOUSE_URL";

    static final String IMAGE = "clickhouse/clickhouse-server:25.8";
    static final String CHDB_VERSION = "3.4.0";
    static final String CACHE_DIR_NAME = "chdb-" + CHDB_VERSION;

    private static final int HTTP_PORT = 8123;
    private static final String CONTAINER_USER = "dbsync";
    private static final String CONTAINER_PASSWORD = "dbsync";
    private static final List<String> FRONT_END_FILES = List.of("server.js", "package.json", "package-lock.json");
    private static final String INSTALLED_MARKER = ".installed-lock-sha256";
    private static final String LISTENING_PREFIX = "LISTENING port=";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(10);

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
        long started = System.nanoTime();
        Path home = Path.of(System.getProperty("user.home"), ".cache", "dbsync", CACHE_DIR_NAME);
        Path logDir = Files.isDirectory(Path.of("target")) ? Path.of("target").toAbsolutePath() : home;
        Path log = logDir.resolve("chdb-server-" + ProcessHandle.current().pid() + ".log");
        try {
            Files.createDirectories(home);
            NodeRuntime.Tools tools = NodeRuntime.find(home.getParent());
            install(home, log, tools);
            Path data = Files.createTempDirectory("dbsync-chdb-data-");
            List<String> command = new ArrayList<>(tools.node());
            command.addAll(List.of(home.resolve("server.js").toString(),
                    "--port", "0", "--data", data.toString(), "--exit-on-stdin-close"));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(home.toFile())
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
            tools.configure(builder);
            // the same server time zone as the container image, whatever the machine's
            builder.environment().put("TZ", "UTC");
            Process process = builder.start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(process, data), "chdb-server-stop"));
            int port = awaitPort(process, log);
            String url = "http://127.0.0.1:" + port;
            awaitPing(url, process, log);
            double seconds = (System.nanoTime() - started) / 1e9;
            return new ClickHouseServer(url, "default", "", "default",
                    String.format(Locale.ROOT, "chdb %s (ClickHouse {version} engine) behind the test kit's HTTP "
                            + "front end, pid %d, ready in %.1f s, log %s", CHDB_VERSION, process.pid(), seconds, log));
        } catch (IOException e) {
            throw new IllegalStateException("No ClickHouse for integration tests: " + URL_ENV + " is not set, no "
                    + "Docker engine answers, and the chdb stand-in did not start (log: " + log + ")", e);
        }
    }

    /** Copies the front end's files into {@code home} and runs {@code npm ci} unless that lockfile is installed. */
    private static void install(Path home, Path log, NodeRuntime.Tools tools) throws IOException {
        // Test JVMs of different modules may start at the same time: one installs, the others wait.
        try (FileChannel channel = FileChannel.open(home.resolve(".lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock = channel.lock();
            try {
                installLocked(home, log, tools);
            } finally {
                lock.release();
            }
        }
    }

    private static void installLocked(Path home, Path log, NodeRuntime.Tools tools) throws IOException {
        try {
            byte[] lockfile = null;
            for (String name : FRONT_END_FILES) {
                byte[] content = resource(name);
                Path target = home.resolve(name);
                if (!Files.exists(target) || !Arrays.equals(Files.readAllBytes(target), content)) {
                    Files.write(target, content);
                }
                if (name.equals("package-lock.json")) {
                    lockfile = content;
                }
            }
            String expected = sha256(lockfile);
            Path marker = home.resolve(INSTALLED_MARKER);
            boolean installed = Files.isRegularFile(home.resolve("node_modules/chdb/package.json"))
                    && Files.isRegularFile(marker)
                    && Files.readString(marker, UTF_8).trim().equals(expected);
            if (installed) {
                return;
            }
            Files.deleteIfExists(marker);
            List<String> command = new ArrayList<>(tools.npm());
            command.addAll(List.of("ci", "--no-audit", "--no-fund"));
            ProcessBuilder npmBuilder = new ProcessBuilder(command)
                    .directory(home.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            tools.configure(npmBuilder);
            Process npmCi = npmBuilder.start();
            npmCi.getOutputStream().close();
            boolean done = npmCi.waitFor(INSTALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                npmCi.destroyForcibly();
                throw new IllegalStateException("npm ci of chdb " + CHDB_VERSION + " in " + home + " took longer than "
                        + INSTALL_TIMEOUT + "; output in " + log);
            }
            if (npmCi.exitValue() != 0) {
                throw new IllegalStateException("npm ci of chdb " + CHDB_VERSION + " in " + home + " failed with exit "
                        + "code " + npmCi.exitValue() + " (the npm registry must be reachable the first time); output:\n"
                        + tail(log) + "\nOr set " + URL_ENV + " to use an existing ClickHouse.");
            }
            Files.writeString(marker, expected + "\n", UTF_8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while installing chdb", e);
        }
    }

    private static int awaitPort(Process process, Path log) throws IOException {
        BufferedReader stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8));
        CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = stdout.readLine()) != null) {
                    if (line.startsWith(LISTENING_PREFIX)) {
                        return Integer.parseInt(line.substring(LISTENING_PREFIX.length()).trim());
                    }
                }
                return -1;
            } catch (IOException e) {
                return -1;
            }
        });
        int value;
        try {
            value = port.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            value = -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the chdb front end", e);
        }
        if (value <= 0) {
            process.destroyForcibly();
            throw new IllegalStateException("The chdb HTTP front end did not report its port within "
                    + START_TIMEOUT.toSeconds() + " s" + exitNote(process) + "; its log " + log + " ends with:\n"
                    + tail(log));
        }
        // keep draining stdout so the child never blocks on a full pipe
        Thread drain = new Thread(() -> {
            try {
                stdout.transferTo(java.io.Writer.nullWriter());
            } catch (IOException e) {
                // the child has exited
            }
        }, "chdb-server-stdout");
        drain.setDaemon(true);
        drain.start();
        return value;
    }

    private static void awaitPing(String url, Process process, Path log) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        HttpRequest ping = HttpRequest.newBuilder(URI.create(url + "/ping")).timeout(Duration.ofSeconds(5)).build();
        while (System.nanoTime() < deadline && process.isAlive()) {
            try {
                HttpResponse<String> response = HTTP.send(ping, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && response.body().startsWith("Ok.")) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the chdb front end", e);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the chdb front end", e);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("The chdb HTTP front end at " + url + " does not answer /ping"
                + exitNote(process) + "; its log " + log + " ends with:\n" + tail(log));
    }

    private static void stop(Process process, Path data) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
        }
        deleteTree(data);
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = ClickHouseServer.class.getResourceAsStream("chdb/" + name)) {
            if (in == null) {
                throw new IllegalStateException("The test kit's resource dev/dbsync/testkit/chdb/" + name
                        + " is missing from the classpath");
            }
            return in.readAllBytes();
        }
    }

    private static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String exitNote(Process process) {
        return process.isAlive() ? "" : " (it exited with code " + process.exitValue() + ")";
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            List<Path> all = new ArrayList<>(paths.sorted(Comparator.reverseOrder()).toList());
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            // a temporary directory left behind is not worth failing the JVM's exit
        }
    }

    private static String encode(String value) {
        return java.net.URLEncoder.encode(value, UTF_8);
    }
}
