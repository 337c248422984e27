package dev.dbsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.Checkpoint;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Position;
import java.math.BigDecimal;
import java.time.Instant;
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

/** The contract every {@link CheckpointStore} fulfils. */
public abstract class CheckpointStoreContractTest {

    private final List<CheckpointStore> opened = new ArrayList<>();
    private final String pipeline = "p_" + UUID.randomUUID().toString().substring(0, 8);

    /** A store over the same underlying storage each time it is called (so a second one sees the first's saves). */
    protected abstract CheckpointStore newStore();

    @AfterEach
    void closeStores() {
        opened.forEach(CheckpointStore::close);
        opened.clear();
    }

    private CheckpointStore store() {
        CheckpointStore s = newStore();
        opened.add(s);
        return s;
    }

    private static Checkpoint sample(long n) {
        return new Checkpoint(Checkpoint.Phase.SNAPSHOT, Position.of(n, "k" + n),
                Position.of(Instant.parse("2024-01-02T03:04:05.678901Z"), new BigDecimal("12.50"), UUID.nameUUIDFromBytes(new byte[] {1})), n);
    }

    @Test
    void missingIsEmpty() {
        assertEquals(Optional.empty(), store().load(pipeline, "public.none"));
    }

    @Test
    void saveThenLoadRoundTripsExactlyAndAcrossInstances() {
        CheckpointStore s = store();
        s.save(pipeline, "public.orders", sample(7));
        assertEquals(Optional.of(sample(7)), s.load(pipeline, "public.orders"));
        assertEquals(Optional.of(sample(7)), store().load(pipeline, "public.orders"), "durable across store instances");
    }

    @Test
    void saveReplacesAndClearForgets() {
        CheckpointStore s = store();
        s.save(pipeline, "t", sample(1));
        s.save(pipeline, "t", sample(2));
        Checkpoint done = new Checkpoint(Checkpoint.Phase.CHANGES, null, Position.of(99L), 0);
        s.save(pipeline, "t", done);
        assertEquals(Optional.of(done), s.load(pipeline, "t"));
        s.clear(pipeline, "t");
        assertEquals(Optional.empty(), s.load(pipeline, "t"));
        s.clear(pipeline, "t");
    }

    @Test
    void pipelinesAndTablesAreSeparateEvenWithOddNames() {
        CheckpointStore s = store();
        String odd = "Schema.\"Tåble\" / with:odd*chars";
        s.save(pipeline, odd, sample(1));
        s.save(pipeline, "Schema.Tåble", sample(2));
        s.save(pipeline + "_other", odd, sample(3));
        assertEquals(Optional.of(sample(1)), s.load(pipeline, odd));
        assertEquals(Optional.of(sample(2)), s.load(pipeline, "Schema.Tåble"));
        assertEquals(Optional.of(sample(3)), s.load(pipeline + "_other", odd));
    }

    @Test
    void concurrentSavesOfDifferentTablesAllLand() throws Exception {
        CheckpointStore s = store();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int table = t;
                fs.add(pool.submit(() -> {
                    for (long n = 1; n <= 25; n++) {
                        s.save(pipeline, "table" + table, sample(n));
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
            Optional<Checkpoint> cp = s.load(pipeline, "table" + t);
            assertTrue(cp.isPresent());
            assertEquals(sample(25), cp.get());
        }
    }
}
