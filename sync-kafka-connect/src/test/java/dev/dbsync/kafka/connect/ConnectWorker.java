package dev.dbsync.kafka.connect;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.connect.cli.ConnectDistributed;
import org.apache.kafka.connect.runtime.Connect;

/**
 * A real Kafka Connect worker in distributed mode, started in this JVM ({@code connect-runtime} from Maven
 * Central), talking to the others of its group through Kafka; connectors are created through its REST API,
 * which forwards to the leader. Settings that make fail-over take seconds: a short scheduled rebalance delay,
 * frequent offset flushes, short heartbeats.
 */
final class ConnectWorker implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Connect<?> connect;
    private final int port;
    private final String name;
    private boolean stopped;

    private ConnectWorker(Connect<?> connect, int port, String name) {
        this.connect = connect;
        this.port = port;
        this.name = name;
    }

    static ConnectWorker start(String bootstrap, String group, String name) throws IOException {
        int port = freePort();
        Connect<?> c = new ConnectDistributed().startConnect(props(bootstrap, group, port));
        return new ConnectWorker(c, port, name);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The worker settings: same group, own REST port, replication factor 1, fail-over in seconds. */
    static Map<String, String> props(String bootstrap, String group, int port) {
        Map<String, String> p = new HashMap<>();
        p.put("bootstrap.servers", bootstrap);
        p.put("group.id", group);
        p.put("listeners", "http://127.0.0.1:" + port);
        p.put("rest.advertised.host.name", "127.0.0.1");
        p.put("rest.advertised.port", Integer.toString(port));
        p.put("config.storage.topic", group + "-configs");
        p.put("offset.storage.topic", group + "-offsets");
        p.put("status.storage.topic", group + "-status");
        p.put("config.storage.replication.factor", "1");
        p.put("offset.storage.replication.factor", "1");
        p.put("status.storage.replication.factor", "1");
        p.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
        p.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        p.put("key.converter.schemas.enable", "true");
        p.put("value.converter.schemas.enable", "true");
        p.put("plugin.discovery", "service_load");
        p.put("scheduled.rebalance.max.delay.ms", "3000");
        p.put("offset.flush.interval.ms", "500");
        p.put("heartbeat.interval.ms", "1000");
        p.put("session.timeout.ms", "6000");
        p.put("exactly.once.source.support", "enabled");
        p.put("task.shutdown.graceful.timeout.ms", "3000");
        // sink tasks' consumers: a killed worker's partitions are given to the survivor after seconds, not 45 s
        p.put("consumer.session.timeout.ms", "6000");
        // records with JSON schemas repeat a few kilobytes of schema each: compress them on the way
        p.put("producer.compression.type", "lz4");
        p.put("producer.linger.ms", "5");
        p.put("producer.batch.size", "262144");
        p.put("consumer.heartbeat.interval.ms", "1000");
        // sink tasks read only committed transactions: records of a transaction aborted when a source task's worker
        // died (they are sent again by the task that takes over) never reach a target
        p.put("consumer.isolation.level", "read_committed");
        return p;
    }

    /** A worker's REST client by port (for workers in other JVMs). */
    static ConnectWorker remote(int port, String name) {
        return new ConnectWorker(null, port, name);
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    String name() {
        return name;
    }

    /** The worker id Connect reports in task statuses. */
    String workerId() {
        return "127.0.0.1:" + port;
    }

    HttpResponse<String> request(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").header("Accept", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** PUT /connectors/{name}/config, retried while the group rebalances (409) or has no leader yet. */
    void putConnector(String connector, String configJson) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            HttpResponse<String> r = request("PUT", "/connectors/" + connector + "/config", configJson);
            if (r.statusCode() == 200 || r.statusCode() == 201) {
                return;
            }
            if (System.nanoTime() > deadline || (r.statusCode() != 409 && r.statusCode() != 500 && r.statusCode() != 404)) {
                throw new IllegalStateException("creating connector " + connector + " failed: " + r.statusCode() + " " + r.body());
            }
            Thread.sleep(500);
        }
    }

    /** Stops the worker gracefully; its tasks move to the others after the scheduled rebalance delay. */
    void stop() {
        if (!stopped && connect != null) {
            stopped = true;
            connect.stop();
            connect.awaitStop();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
