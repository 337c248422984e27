package dev.dbsync.servers;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * The ClickHouse engine started on this machine and reachable over (the part of) ClickHouse's HTTP interface that
 * {@code com.clickhouse:client-v2} uses: the engine of the npm package chdb {@value #CHDB_VERSION} (ClickHouse as a
 * library, no server of its own) behind a small HTTP front end shipped in this module ({@code chdb/server.js}),
 * run by Node.js as a child process.
 *
 * <p>Node.js is the {@code node}/{@code npm} 18+ on the PATH, or a pinned Node.js fetched once from the npm
 * registry into {@code ~/.cache/dbsync/}. chdb is installed once with {@code npm ci} into
 * {@code ~/.cache/dbsync/chdb-}{@value #CHDB_VERSION} (about 550 MB, the npm registry must be reachable the first
 * time) and reused while its lockfile is unchanged; concurrent JVMs wait for one another's install.
 *
 * <p>Limits of the front end: one query at a time, no authentication (any user is accepted), no native TCP port,
 * no clusters. The real engine answers every query. The server's time zone is UTC.
 *
 * <p>{@link #start()} registers a JVM shutdown hook, so a process that exits without {@link #close()} still stops
 * the child. Thread-safe.
 */
public final class LocalClickHouse implements AutoCloseable {

    /** The chdb version, pinned by the lockfile in this module's resources. */
    public static final String CHDB_VERSION = "3.4.0";

    private static final String CACHE_DIR_NAME = "chdb-" + CHDB_VERSION;
    private static final List<String> FRONT_END_FILES = List.of("server.js", "package.json", "package-lock.json");
    private static final String INSTALLED_MARKER = ".installed-lock-sha256";
    private static final String LISTENING_PREFIX = "LISTENING port=";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(10);

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    private final Process process;
    private final Path data;
    private final String httpUrl;
    private final Path log;
    private final double startSeconds;
    private final String node;
    private final Thread hook;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LocalClickHouse(Process process, Path data, String httpUrl, Path log, double startSeconds, String node,
                            Thread hook) {
        this.hook = hook;
        this.process = process;
        this.data = data;
        this.httpUrl = httpUrl;
        this.log = log;
        this.startSeconds = startSeconds;
        this.node = node;
    }

    /** Starts the engine with its log in {@code ~/.cache/dbsync/chdb-}{@value #CHDB_VERSION}. */
    public static LocalClickHouse start() {
        return start(cacheHome());
    }

    /**
     * Starts the engine, installing chdb first when needed (about 15 s), ready in about a second after that.
     *
     * @param logDir where the front end's log file ({@code chdb-server-<pid>.log}) goes
     * @throws IllegalStateException when it cannot be installed or started; the message ends with the log's tail
     */
    public static LocalClickHouse start(Path logDir) {
        long started = System.nanoTime();
        Path home = cacheHome();
        Path log = logDir.toAbsolutePath().resolve("chdb-server-" + ProcessHandle.current().pid() + ".log");
        try {
            Files.createDirectories(home);
            Files.createDirectories(logDir);
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
            // the same server time zone as ClickHouse's container image, whatever the machine's
            builder.environment().put("TZ", "UTC");
            Process process = builder.start();
            Thread hook = new Thread(() -> stop(process, data), "local-clickhouse-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            int port = awaitPort(process, log);
            String url = "http://127.0.0.1:" + port;
            awaitPing(url, process, log);
            return new LocalClickHouse(process, data, url, log, (System.nanoTime() - started) / 1e9, tools.description(),
                    hook);
        } catch (IOException e) {
            throw new IllegalStateException("The local ClickHouse (chdb " + CHDB_VERSION + " under Node.js) did not "
                    + "start: " + e.getMessage() + " (log: " + log + ")", e);
        }
    }

    private static Path cacheHome() {
        return Path.of(System.getProperty("user.home"), ".cache", "dbsync", CACHE_DIR_NAME);
    }

    /** Base URL of the HTTP interface, e.g. {@code http://127.0.0.1:41234}; never null. */
    public String httpUrl() {
        return httpUrl;
    }

    /** The user to give clients: {@code default} (the front end accepts any). */
    public String username() {
        return "default";
    }

    /** The password to give clients: empty. */
    public String password() {
        return "";
    }

    /** The database that exists from the start: {@code default}. */
    public String database() {
        return "default";
    }

    /** The front end's log file. */
    public Path log() {
        return log;
    }

    /** What this server is, for output: chdb version, process id, start time, Node.js and log file. */
    public String kind() {
        return String.format(Locale.ROOT, "chdb %s (ClickHouse engine) behind dbsync's HTTP front end, pid %d, "
                + "ready in %.1f s, %s, log %s", CHDB_VERSION, process.pid(), startSeconds, node, log);
    }

    @Override
    public String toString() {
        return "LocalClickHouse[" + httpUrl + ", pid " + process.pid() + "]";
    }

    /** Stops the child process and deletes its data; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is already exiting: the hook stops the child
            }
            stop(process, data);
        }
    }

    /** Copies the front end's files into {@code home} and runs {@code npm ci} unless that lockfile is installed. */
    private static void install(Path home, Path log, NodeRuntime.Tools tools) throws IOException {
        // JVMs (test modules, a demo) may start at the same time: one installs, the others wait.
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
                        + tail(log));
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
            Thread.currentThread().interrupt();
        }
        deleteTree(data);
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = LocalClickHouse.class.getResourceAsStream("chdb/" + name)) {
            if (in == null) {
                throw new IllegalStateException("The resource dev/dbsync/servers/chdb/" + name
                        + " is missing from the class path");
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
}
