package dev.dbsync.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Leases across real processes: a holder killed with SIGKILL, and renewal beyond the TTL. */
class RedisCheckpointStoreIT {

    private final String prefix = Fixtures.uniquePrefix("cp");

    /**
     * A holder in another JVM is refused to a second process while it lives, and no longer blocks the pipeline
     * than the lease TTL (here 2 s) after it is killed.
     */
    @Test
    void aKilledHolderBlocksARestartForAtMostTheLeaseTtl() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                LeaseHolderMain.class.getName(), RedisTestServer.get().url, prefix, "pipe", "2s"))
                .redirectError(new File("target/lease-holder.err")).start();
        try (RedisCheckpointStore store = Fixtures.store(prefix, "2s")) {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertTrue(line != null && line.startsWith("HELD "), "the child took the lease: " + line);
            long childToken = Long.parseLong(line.substring(5));
            Thread.sleep(2_500); // longer than the TTL: the live child keeps renewing
            LeaseException busy = assertThrows(LeaseException.class, () -> store.acquire("pipe", "parent"));
            assertTrue(busy.getMessage().contains("child:" + child.pid()) && busy.getMessage().contains("pipe"), busy.getMessage());
            child.destroyForcibly();
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
            long killed = System.nanoTime();
            Lease lease = null;
            while (lease == null) {
                try {
                    lease = store.acquire("pipe", "parent");
                } catch (LeaseException e) {
                    Thread.sleep(50);
                }
                assertTrue(System.nanoTime() - killed < TimeUnit.SECONDS.toNanos(4), "the dead child still blocks the pipeline");
            }
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            assertTrue(waited <= 2_500, "free within the TTL after the kill, took " + waited + " ms");
            assertTrue(lease.token() > childToken);
            assertEquals(Optional.of("saved by the child"), store.load("pipe", "t"));
            store.save(lease, "t", "parent");
            store.release(lease);
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void aRenewedLeaseOutlivesItsTtlAndIsFreeAtOnceWhenReleased() throws Exception {
        try (RedisCheckpointStore a = Fixtures.store(prefix, "600ms"); RedisCheckpointStore b = Fixtures.store(prefix, "600ms")) {
            Lease lease = a.acquire("p", "a");
            Thread.sleep(2_000);
            assertThrows(LeaseException.class, () -> b.acquire("p", "b"));
            a.save(lease, "k", "still mine");
            a.release(lease);
            Lease next = b.acquire("p", "b");
            assertThrows(LeaseException.class, () -> a.save(lease, "k", "too late"));
            assertEquals(Optional.of("still mine"), b.load("p", "k"));
            b.release(next);
        }
    }
}
