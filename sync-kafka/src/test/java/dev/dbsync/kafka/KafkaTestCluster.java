package dev.dbsync.kafka;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real Kafka broker for integration tests, shared by every test of one JVM: the bootstrap servers in
 * {@value #URL_ENV} when set, otherwise an Apache Kafka broker in KRaft mode (combined broker and controller)
 * started in this JVM from Maven Central's {@code kafka_2.13} and test kit. There is no Testcontainers step:
 * the in-process broker is the real broker and needs no Docker. A broker that cannot be had fails the tests.
 * Shared with sync-kafka-connect's tests through this module's test jar.
 */
public final class KafkaTestCluster {

    public static final String URL_ENV = "DBSYNC_IT_KAFKA_URL";

    private static KafkaTestCluster shared;
    private static RuntimeException failure;

    private final String bootstrap;
    private final String kind;

    private KafkaTestCluster(String bootstrap, String kind) {
        this.bootstrap = bootstrap;
        this.kind = kind;
    }

    public static synchronized KafkaTestCluster get() {
        if (failure != null) {
            throw failure;
        }
        if (shared == null) {
            try {
                shared = start();
            } catch (Exception e) {
                failure = new IllegalStateException("no Kafka broker: set " + URL_ENV + " or let the test start one in-process: " + e, e);
                throw failure;
            }
        }
        return shared;
    }

    private static KafkaTestCluster start() throws Exception {
        String url = System.getenv(URL_ENV);
        if (url != null && !url.isBlank()) {
            return new KafkaTestCluster(url, "Kafka at " + url);
        }
        long t0 = System.nanoTime();
        // our own directory, removed after the broker stopped (the default one may vanish under a stopping broker)
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("dbsync-kafka-it");
        TestKitNodes nodes = new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1)
                .setBaseDirectory(dir).build();
        KafkaClusterTestKit kit = new KafkaClusterTestKit.Builder(nodes)
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("auto.create.topics.enable", "false")
                .setDeleteOnClose(false)
                .build();
        kit.format();
        kit.startup();
        kit.waitForReadyBrokers();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                kit.close();
                try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            } catch (Exception ignored) {
                // the JVM is ending
            }
        }, "kafka-test-cluster-stop"));
        return new KafkaTestCluster(kit.bootstrapServers(), String.format("in-process Apache Kafka 4.3.1 (KRaft), started in %.1f s",
                (System.nanoTime() - t0) / 1e9));
    }

    public String bootstrap() {
        return bootstrap;
    }

    public String kind() {
        return kind;
    }

    public Admin admin() {
        Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", bootstrap);
        return Admin.create(p);
    }

    public void deleteTopics(Set<String> topics) throws Exception {
        try (Admin a = admin()) {
            a.deleteTopics(List.copyOf(topics)).all().get(30, TimeUnit.SECONDS);
        }
    }
}
