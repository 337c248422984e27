package dev.dbsync.mongo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The MongoDB checkpoint store's lease across real processes: a SIGKILLed holder frees the pipeline within the TTL. */
class MongoCheckpointStoreIT {

    @Test
    void aKilledHolderBlocksARestartForAtMostTheLeaseTtl() throws Exception {
        MongoTestServer server = MongoTestServer.get();
        System.out.println("MongoCheckpointStoreIT runs against " + server.kind());
        String database = server.newDatabase();
        String pipeline = "killed";
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process child = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"), LeaseHolderMain.class.getName(),
                server.url(), database, pipeline, "2s")).redirectErrorStream(true).start();
        try (CheckpointStore store = new MongoCheckpointStoreFactory().create(MongoTestServer.storeConfig(database,
                Map.of(MongoSettings.LEASE_TTL, "2s")))) {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line;
            long childToken = -1;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("HELD ")) {
                    childToken = Long.parseLong(line.substring(5).trim());
                    break;
                }
            }
            assertTrue(childToken > 0, "the child took the lease");
            Thread.sleep(2_500);
            LeaseException refused = assertThrows(LeaseException.class, () -> store.acquire(pipeline, "parent"),
                    "a live holder keeps its lease past the TTL by renewing it");
            assertTrue(refused.getMessage().contains("child:" + child.pid()) && refused.getMessage().contains(pipeline), refused.getMessage());
            child.destroyForcibly();
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
            long killedAt = System.nanoTime();
            Lease lease = null;
            while (lease == null) {
                try {
                    lease = store.acquire(pipeline, "parent");
                } catch (LeaseException e) {
                    assertTrue(System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(5), "still blocked 5 s after the kill");
                    Thread.sleep(100);
                }
            }
            double waited = (System.nanoTime() - killedAt) / 1e9;
            System.out.printf("pipeline free %.1f s after SIGKILL of its holder (lease.ttl 2 s)%n", waited);
            assertTrue(lease.token() > childToken, "tokens grow");
            assertEquals(Optional.of("from the child"), store.load(pipeline, "t"));
            store.save(lease, "t", "from the parent");
            assertEquals(Optional.of("from the parent"), store.load(pipeline, "t"));
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void aSaveUnderASupersededLeaseIsRefusedAndChangesNothing() {
        MongoTestServer server = MongoTestServer.get();
        String database = server.newDatabase();
        try (CheckpointStore a = new MongoCheckpointStoreFactory().create(MongoTestServer.storeConfig(database, Map.of(MongoSettings.LEASE_TTL, "1s")));
             CheckpointStore b = new MongoCheckpointStoreFactory().create(MongoTestServer.storeConfig(database, Map.of(MongoSettings.LEASE_TTL, "1s")))) {
            Lease old = a.acquire("p", "a");
            a.save(old, "k", "a1");
            ((MongoCheckpointStore) a).abandonLeases();
            Lease next = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (next == null && System.nanoTime() < deadline) {
                try {
                    next = b.acquire("p", "b");
                } catch (LeaseException e) {
                    sleep(100);
                }
            }
            assertTrue(next != null && next.token() > old.token());
            LeaseException e = assertThrows(LeaseException.class, () -> a.save(old, "k", "a2"));
            assertTrue(e.getMessage().contains("held by b"), e.getMessage());
            assertThrows(LeaseException.class, () -> a.clear(old, "k"));
            assertEquals(Optional.of("a1"), b.load("p", "k"));
            b.save(next, "k", "b1");
            assertEquals(Optional.of("b1"), a.load("p", "k"));
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
