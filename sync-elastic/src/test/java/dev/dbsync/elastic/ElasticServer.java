package dev.dbsync.elastic;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The Elasticsearch server of the integration tests, started at most once per JVM and stopped when the JVM
 * exits. Resolved in this order:
 * <ol>
 *   <li>{@code DBSYNC_IT_ELASTIC_URL} (plus {@code DBSYNC_IT_ELASTIC_USER}/{@code _PASSWORD}): a server given;</li>
 *   <li>Testcontainers, when a Docker engine answers: the official 8.19 image;</li>
 *   <li>the real Elasticsearch 8.19 of Maven Central's integration-test distribution, which the build unpacks into
 *       {@code target/elasticsearch}: started here with a 512 MB heap, as uid 65534 when the tests run as root
 *       (Elasticsearch refuses to run as root).</li>
 * </ol>
 * A server that cannot be had fails the tests; none skip.
 */
final class ElasticServer {

    static final String DOCKER_IMAGE = "docker.elastic.co/elasticsearch/elasticsearch:8.19.21";

    private static ElasticServer instance;
    private static RuntimeException failure;

    final String url;
    final String user;
    final String password;
    final String kind;

    private ElasticServer(String url, String user, String password, String kind) {
        this.url = url;
        this.user = user;
        this.password = password;
        this.kind = kind;
    }

    static synchronized ElasticServer get() {
        if (instance != null) {
            return instance;
        }
        if (failure != null) {
            throw failure;
        }
        try {
            instance = start();
            System.out.println("Elasticsearch for the tests: " + instance.kind + " at " + instance.url);
            return instance;
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        }
    }

    /** The connection settings of the sink, source and checkpoint store for this server. */
    Map<String, Object> config() {
        Map<String, Object> m = new HashMap<>();
        m.put("url", url);
        if (user != null) {
            m.put("user", user);
            m.put("password", password);
        }
        return m;
    }

    private static ElasticServer start() {
        String env = System.getenv("DBSYNC_IT_ELASTIC_URL");
        if (env != null && !env.isBlank()) {
            return new ElasticServer(env.trim(), System.getenv("DBSYNC_IT_ELASTIC_USER"), System.getenv("DBSYNC_IT_ELASTIC_PASSWORD"),
                    "server given by DBSYNC_IT_ELASTIC_URL");
        }
        if (dockerAnswers()) {
            return startContainer();
        }
        return startLocal();
    }

    private static boolean dockerAnswers() {
        try {
            return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable e) {
            return false;
        }
    }

    private static ElasticServer startContainer() {
        @SuppressWarnings("resource")
        org.testcontainers.containers.GenericContainer<?> c = new org.testcontainers.containers.GenericContainer<>(DOCKER_IMAGE)
                .withEnv("discovery.type", "single-node")
                .withEnv("xpack.security.enabled", "false")
                .withEnv("ES_JAVA_OPTS", "-Xms512m -Xmx512m")
                .withExposedPorts(9200)
                .waitingFor(org.testcontainers.containers.wait.strategy.Wait.forHttp("/_cluster/health?wait_for_status=yellow")
                        .forPort(9200).withStartupTimeout(Duration.ofMinutes(3)));
        c.start();
        Runtime.getRuntime().addShutdownHook(new Thread(c::stop));
        return new ElasticServer("http://" + c.getHost() + ":" + c.getMappedPort(9200), null, null, "Testcontainers " + DOCKER_IMAGE);
    }

    private static ElasticServer startLocal() {
        String homeProp = System.getProperty("dbsync.elasticsearch.home");
        if (homeProp == null) {
            // run outside surefire (the benchmark): the distribution the build unpacked into target/
            try (Stream<Path> found = Files.list(Path.of("target", "elasticsearch"))) {
                homeProp = found.filter(p -> p.getFileName().toString().startsWith("elasticsearch-")).map(Path::toString)
                        .findFirst().orElse(null);
            } catch (IOException e) {
                homeProp = null;
            }
        }
        if (homeProp == null) {
            throw new IllegalStateException("no Elasticsearch: set DBSYNC_IT_ELASTIC_URL, or run the tests through Maven, which "
                    + "unpacks the integration-test distribution and sets dbsync.elasticsearch.home");
        }
        Path home = Path.of(homeProp).toAbsolutePath();
        if (!Files.isExecutable(home.resolve("bin/elasticsearch"))) {
            throw new IllegalStateException("no Elasticsearch distribution at " + home + " (run mvn process-test-resources)");
        }
        try {
            Path run = home.getParent().resolve("run-" + ProcessHandle.current().pid());
            deleteTree(run);
            Path conf = Files.createDirectories(run.resolve("config"));
            try (Stream<Path> files = Files.walk(home.resolve("config"))) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    Path to = conf.resolve(home.resolve("config").relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(to);
                    } else {
                        Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            Files.createDirectories(run.resolve("data"));
            Files.createDirectories(run.resolve("logs"));
            Files.createDirectories(run.resolve("tmp"));
            int http = freePort();
            int transport = freePort();
            String yml = String.join("\n",
                    "cluster.name: dbsync-it",
                    "node.name: dbsync-it",
                    "discovery.type: single-node",
                    "network.host: 127.0.0.1",
                    "http.port: " + http,
                    "transport.port: " + transport,
                    "path.data: " + run.resolve("data"),
                    "path.logs: " + run.resolve("logs"),
                    "xpack.security.enabled: false",
                    "cluster.routing.allocation.disk.threshold_enabled: false",
                    "action.destructive_requires_name: false",
                    "");
            Files.writeString(conf.resolve("elasticsearch.yml"), yml, StandardCharsets.UTF_8);
            // without the GC log in the working directory, which the unprivileged user may not write
            Files.writeString(conf.resolve("jvm.options"), "-XX:+UseG1GC\n-Djava.io.tmpdir=${ES_TMPDIR}\n"
                    + "-XX:+ExitOnOutOfMemoryError\n", StandardCharsets.UTF_8);
            boolean root = "0".equals(run("id", "-u").trim());
            List<String> cmd = new ArrayList<>();
            if (root) {
                run("chown", "-R", "65534:65534", run.toString());
                cmd.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
            }
            cmd.add(home.resolve("bin/elasticsearch").toString());
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(run.toFile())
                    .redirectErrorStream(true).redirectOutput(run.resolve("console.log").toFile());
            pb.environment().put("ES_PATH_CONF", conf.toString());
            pb.environment().put("ES_TMPDIR", run.resolve("tmp").toString());
            pb.environment().put("ES_JAVA_HOME", System.getProperty("java.home"));
            pb.environment().put("ES_JAVA_OPTS", "-Xms512m -Xmx512m");
            pb.environment().remove("JAVA_TOOL_OPTIONS");
            Process p = pb.start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(p, run)));
            String url = "http://127.0.0.1:" + http;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (true) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("Elasticsearch exited with " + p.exitValue() + " while starting; its output:\n"
                            + tail(run.resolve("console.log")));
                }
                if (healthy(url)) {
                    return new ElasticServer(url, null, null, "Elasticsearch integration-test distribution " + home.getFileName()
                            + (root ? " as uid 65534" : ""));
                }
                if (System.nanoTime() > deadline) {
                    stop(p, run);
                    throw new IllegalStateException("Elasticsearch did not become healthy within 120 s; its output:\n"
                            + tail(run.resolve("console.log")));
                }
                Thread.sleep(250);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("starting Elasticsearch from " + home, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void stop(Process p, Path run) {
        List<ProcessHandle> tree = new ArrayList<>();
        p.descendants().forEach(tree::add);
        tree.add(p.toHandle());
        // the server JVM first: it shuts down cleanly on SIGTERM
        tree.forEach(ProcessHandle::destroy);
        for (ProcessHandle h : tree) {
            try {
                h.onExit().get(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        }
        try {
            deleteTree(run.resolve("data"));
        } catch (IOException e) {
            // left for the next build's clean
        }
    }

    private static boolean healthy(String url) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url + "/_cluster/health?wait_for_status=yellow&timeout=1s").toURL().openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(3000);
            try {
                return c.getResponseCode() == 200;
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
