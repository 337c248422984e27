package dev.dbsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link CheckpointStore} fulfils: opaque texts kept exactly and durably, and fencing — one
 * live holder per pipeline, saves under an old lease refused, a dead holder's lease free again within
 * {@link #deadHolderTimeout()}.
 */
public abstract class CheckpointStoreContractTest {

    private final List<CheckpointStore> opened = new ArrayList<>();
    private final String pipeline = "p_" + UUID.randomUUID().toString().substring(0, 8);

    /**
     * A store over the same underlying storage each time it is called (so a second one sees the first's saves);
     * each instance stands for a separate process.
     */
    protected abstract CheckpointStore newStore();

    /**
     * Makes {@code store} behave as if its process had been killed: it never releases its lease nor saves
     * again. The default closes it without releasing (a lock held by a connection or an open file goes with it).
     */
    protected void simulateDeath(CheckpointStore store) {
        store.close();
    }

    /** How long a dead holder may keep the pipeline from the next process at most. Default 20 s. */
    protected Duration deadHolderTimeout() {
        return Duration.ofSeconds(20);
    }

    @AfterEach
    void closeStores() {
        for (CheckpointStore s : opened) {
            try {
                s.close();
            } catch (RuntimeException e) {
                // a store whose death was simulated may be closed already
            }
        }
        opened.clear();
    }

    private CheckpointStore store() {
        CheckpointStore s = newStore();
        opened.add(s);
        return s;
    }

    /** Checkpoint texts are opaque: any characters but U+0000, any length. */
    private static String sample(long n) {
        return "{\"phase\":\"SNAPSHOT\",\"n\":" + n + ",\"odd\":\"ünï ✓ 'q' \\\"dq\\\" \\\\ \\n\ttab\nline\u0001ctl\"}";
    }

    @Test
    void missingIsEmpty() {
        assertEquals(Optional.empty(), store().load(pipeline, "public.none"));
    }

    @Test
    void saveThenLoadRoundTripsExactlyAndAcrossInstances() {
        CheckpointStore s = store();
        Lease lease = s.acquire(pipeline, "test:1");
        s.save(lease, "public.orders", sample(7));
        assertEquals(Optional.of(sample(7)), s.load(pipeline, "public.orders"));
        String big = "x".repeat(200_000) + sample(1);
        s.save(lease, "big", big);
        assertEquals(Optional.of(big), s.load(pipeline, "big"));
        s.release(lease);
        assertEquals(Optional.of(sample(7)), store().load(pipeline, "public.orders"), "durable across store instances");
    }

    @Test
    void saveReplacesAndClearForgets() {
        CheckpointStore s = store();
        Lease lease = s.acquire(pipeline, "test:1");
        s.save(lease, "t", sample(1));
        s.save(lease, "t", sample(2));
        s.save(lease, "t", "done");
        assertEquals(Optional.of("done"), s.load(pipeline, "t"));
        s.clear(lease, "t");
        assertEquals(Optional.empty(), s.load(pipeline, "t"));
        s.clear(lease, "t");
        s.release(lease);
    }

    @Test
    void pipelinesAndKeysAreSeparateEvenWithOddNames() {
        CheckpointStore s = store();
        String odd = "Schema.\"Tåble\" / with:odd*chars";
        Lease a = s.acquire(pipeline, "test:1");
        Lease b = s.acquire(pipeline + "_other", "test:1");
        s.save(a, odd, sample(1));
        s.save(a, "Schema.Tåble", sample(2));
        s.save(b, odd, sample(3));
        assertEquals(Optional.of(sample(1)), s.load(pipeline, odd));
        assertEquals(Optional.of(sample(2)), s.load(pipeline, "Schema.Tåble"));
        assertEquals(Optional.of(sample(3)), s.load(pipeline + "_other", odd));
        s.release(a);
        s.release(b);
    }

    @Test
    void concurrentSavesOfDifferentKeysAllLand() throws Exception {
        CheckpointStore s = store();
        Lease lease = s.acquire(pipeline, "test:1");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int table = t;
                fs.add(pool.submit(() -> {
                    for (long n = 1; n <= 25; n++) {
                        s.save(lease, "table" + table, sample(n));
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int t = 0; t < 8; t++) {
            assertEquals(Optional.of(sample(25)), s.load(pipeline, "table" + t));
        }
        s.release(lease);
    }

    @Test
    void aSecondLiveHolderIsRefusedWithAnErrorNamingPipelineAndHolder() {
        CheckpointStore first = store();
        Lease lease = first.acquire(pipeline, "host-a:111");
        CheckpointStore second = store();
        LeaseException e = assertThrows(LeaseException.class, () -> second.acquire(pipeline, "host-b:222"));
        assertTrue(e.getMessage().contains(pipeline), e.getMessage());
        assertTrue(e.getMessage().contains("host-a:111"), "names the holder: " + e.getMessage());
        first.save(lease, "t", sample(1));
        assertEquals(Optional.of(sample(1)), second.load(pipeline, "t"));
        first.release(lease);
    }

    @Test
    void afterAReleaseTheNextHolderFencesTheOldLeaseOut() {
        CheckpointStore first = store();
        Lease old = first.acquire(pipeline, "host-a:111");
        first.save(old, "t", sample(1));
        first.release(old);
        CheckpointStore second = store();
        Lease now = second.acquire(pipeline, "host-b:222");
        assertTrue(now.token() > old.token(), "tokens grow: " + old.token() + " then " + now.token());
        assertThrows(LeaseException.class, () -> first.save(old, "t", sample(2)));
        assertThrows(LeaseException.class, () -> first.clear(old, "t"));
        assertEquals(Optional.of(sample(1)), second.load(pipeline, "t"), "a fenced save changes nothing");
        second.save(now, "t", sample(3));
        assertEquals(Optional.of(sample(3)), second.load(pipeline, "t"));
        second.release(now);
    }

    @Test
    void aDeadHolderDoesNotBlockTheNextProcessForLong() throws InterruptedException {
        CheckpointStore dying = newStore();
        Lease old = dying.acquire(pipeline, "host-a:111");
        dying.save(old, "t", sample(1));
        simulateDeath(dying);
        CheckpointStore next = store();
        long deadline = System.nanoTime() + deadHolderTimeout().toNanos();
        Lease lease = null;
        while (lease == null) {
            try {
                lease = next.acquire(pipeline, "host-b:222");
            } catch (LeaseException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the dead holder still blocks the pipeline after " + deadHolderTimeout(), e);
                }
                Thread.sleep(200);
            }
        }
        assertTrue(lease.token() > old.token(), "tokens grow");
        assertEquals(Optional.of(sample(1)), next.load(pipeline, "t"), "the dead holder's last save is kept");
        next.save(lease, "t", sample(2));
        next.release(lease);
    }
}
