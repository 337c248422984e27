package dev.dbsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncListener;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.FeedStatus;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.memory.MemorySink;
import dev.dbsync.testkit.memory.MemorySource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The change feed's retained log and lag reach the report and the listener, with a warning above the threshold. */
class FeedStatusTest {

    private static final TableSchema ITEMS = new TableSchema("items", List.of(
            Column.required("id", LogicalType.INT64), Column.of("name", LogicalType.STRING)), List.of("id"));

    /** A feed whose source reports what it retains. */
    static final class Retaining extends MemorySource {
        final AtomicLong retained = new AtomicLong();

        @Override
        public Optional<FeedStatus> feedStatus() {
            return Optional.of(new FeedStatus(retained.get(), retained.get() / 2, "slot test"));
        }
    }

    private record Seen(FeedStatus status, boolean above) {
    }

    @Test
    void theReportAndTheListenerShowWhatTheFeedRetainsAndWarnAboveTheThreshold() {
        Retaining source = new Retaining();
        source.createTable(ITEMS);
        source.upsert("items", 1L, "a");
        List<Seen> seen = Collections.synchronizedList(new ArrayList<>());
        SyncListener listener = new SyncListener() {
            @Override
            public void onFeedStatus(String pipeline, FeedStatus status, boolean aboveWarning) {
                seen.add(new Seen(status, aboveWarning));
            }
        };
        var store = CheckpointStores.memory();
        source.retained.set(3L << 20);
        SyncReport small = SyncEngine.builder().pipeline("feed").source(source).sink(new MemorySink()).checkpointStore(store)
                .table(TableSync.cdc(TableSpec.of("items"))).streamIdle(Duration.ofMillis(100)).feedWarnRetained(1L << 30)
                .listener(listener).build().runOnce();
        assertTrue(small.succeeded(), small::toText);
        assertNotNull(small.feed(), small::toText);
        assertEquals(3L << 20, small.feed().status().retainedBytes());
        assertFalse(small.feed().aboveWarning());
        assertTrue(small.toText().contains("change feed: retains 3.0 MB, 1.5 MB behind (slot test)"), small::toText);
        assertFalse(small.toText().contains("WARNING"), small::toText);

        source.retained.set(5L << 30);
        SyncReport big = SyncEngine.builder().pipeline("feed").source(source).sink(new MemorySink()).checkpointStore(store)
                .table(TableSync.cdc(TableSpec.of("items"))).streamIdle(Duration.ofMillis(100)).feedWarnRetained(1L << 30)
                .listener(listener).build().runOnce();
        assertTrue(big.feed().aboveWarning(), big::toText);
        assertTrue(big.toText().contains("WARNING: above feed.warn.retained"), big::toText);
        assertEquals(2, seen.size(), "the listener heard the status at the end of each run: " + seen);
        assertFalse(seen.get(0).above());
        assertTrue(seen.get(1).above());
    }

    @Test
    void aPipelineWithoutAChangeFeedHasNoFeedStatus() {
        Retaining source = new Retaining();
        source.createTable(ITEMS);
        SyncReport r = SyncEngine.builder().pipeline("nofeed").source(source).sink(new MemorySink())
                .checkpointStore(CheckpointStores.memory()).table(TableSync.full(TableSpec.of("items"))).build().runOnce();
        assertNull(r.feed());
    }
}
