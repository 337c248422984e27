package dev.dbsync.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Kafka checkpoint store's lease held by another JVM: refused while that process lives, free within the
 * lease TTL (2 s) plus a little after it is killed with SIGKILL, and its saved checkpoint is there for the next one.
 */
class KilledLeaseHolderIT {

    private final KafkaTestCluster kafka = KafkaTestCluster.get();

    @Test
    void aSigkilledHolderBlocksTheNextProcessOnlyForTheLeaseTtl() throws Exception {
        String topic = "kill_checkpoints_" + System.nanoTime();
        String pipeline = "killed_pipeline";
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"), LeaseHolderMain.class.getName(),
                kafka.bootstrap(), topic, pipeline).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.equals("HELD")) {
                // the child's log
            }
            assertEquals("HELD", line, "the child took the lease");
            KafkaCheckpointStoreFactory f = new KafkaCheckpointStoreFactory();
            try (CheckpointStore store = f.create(f.configDef().parse(Map.of("bootstrap.servers", kafka.bootstrap(),
                    "checkpoint.topic", topic, "lease.ttl", "2s")))) {
                LeaseException refused = assertThrows(LeaseException.class, () -> store.acquire(pipeline, "parent"));
                assertTrue(refused.getMessage().contains(pipeline) && refused.getMessage().contains("child:" + child.pid()),
                        refused.getMessage());
                Thread.sleep(2500);
                assertThrows(LeaseException.class, () -> store.acquire(pipeline, "parent"), "a live holder keeps renewing its lease");

                child.destroyForcibly().waitFor();
                long t0 = System.nanoTime();
                Lease lease = null;
                while (lease == null) {
                    try {
                        lease = store.acquire(pipeline, "parent");
                    } catch (LeaseException stillHeld) {
                        assertTrue(System.nanoTime() - t0 < 6_000_000_000L, "a killed holder blocks for at most the TTL and a bit");
                        Thread.sleep(200);
                    }
                }
                double waited = (System.nanoTime() - t0) / 1e9;
                System.out.printf("lease taken %.1f s after the holder was killed (TTL 2 s)%n", waited);
                assertEquals("saved by the child", store.load(pipeline, "public.t").orElseThrow());
                store.save(lease, "public.t", "saved by the parent");
                assertEquals("saved by the parent", store.load(pipeline, "public.t").orElseThrow());
            }
        } finally {
            child.destroyForcibly();
        }
    }
}
