package dev.dbsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.testkit.memory.MemorySink;
import dev.dbsync.testkit.memory.MemorySource;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The contract suites can fail: run against deliberately broken connectors, exactly the tests that check
 * the broken behaviour fail, and against the correct reference connectors nothing fails.
 */
class BrokenConnectorsTest {

    /** Forgets deletes. */
    static final class DropsDeletesSink extends MemorySink {
        @Override
        protected boolean appliesDeletes() {
            return false;
        }
    }

    /** Reads only rows whose cursor is strictly greater than the last one read. */
    static final class SkipsEqualTimestampsSource extends MemorySource {
        @Override
        protected boolean tieBreakByKey() {
            return false;
        }
    }

    /** Gives every event of a chunk the chunk's end position, so a resume from a batch inside it skips rows. */
    static final class ChunkEndPositionsSource extends MemorySource {
        private static dev.dbsync.spi.Chunk blur(dev.dbsync.spi.Chunk c) {
            if (c.events().isEmpty()) {
                return c;
            }
            dev.dbsync.spi.Position end = c.events().get(c.events().size() - 1).position();
            java.util.List<dev.dbsync.spi.ChangeEvent> out = new java.util.ArrayList<>();
            for (dev.dbsync.spi.ChangeEvent e : c.events()) {
                out.add(new dev.dbsync.spi.ChangeEvent(e.operation(), e.table(), e.key(), e.values(), e.version(), end));
            }
            return new dev.dbsync.spi.Chunk(out, c.next(), c.last());
        }

        @Override
        public synchronized dev.dbsync.spi.Chunk readSnapshot(dev.dbsync.spi.TableSpec spec, dev.dbsync.spi.TableSchema schema,
                                                              dev.dbsync.spi.Position after, int maxRows) {
            return blur(super.readSnapshot(spec, schema, after, maxRows));
        }

        @Override
        public synchronized dev.dbsync.spi.Chunk readChanges(dev.dbsync.spi.TableSpec spec, dev.dbsync.spi.TableSchema schema,
                                                             dev.dbsync.spi.Position after, int maxRows) {
            return blur(super.readChanges(spec, schema, after, maxRows));
        }
    }

    /** The source suite against the source whose events carry their chunk's end position. */
    static class ChunkEndPositionsSuite extends SkipsEqualTimestampsSuite {
        private final ChunkEndPositionsSource blurred = new ChunkEndPositionsSource();

        @Override
        protected Source newSource() {
            return blurred;
        }

        @Override
        protected String createTable(String baseName, dev.dbsync.spi.TableSchema schema) {
            blurred.createTable(schema);
            return baseName;
        }

        @Override
        protected void upsertRows(String table, dev.dbsync.spi.TableSchema schema, java.util.List<java.util.List<Object>> rows) {
            rows.forEach(r -> blurred.upsert(table, r.toArray()));
        }

        @Override
        protected void deleteRows(String table, dev.dbsync.spi.TableSchema schema, java.util.List<java.util.List<Object>> keys) {
            keys.forEach(k -> blurred.delete(table, k.toArray()));
        }
    }

    /** The sink suite against the sink that drops deletes. */
    static class DropsDeletesSuite extends MemorySinkContractTest {
        private final DropsDeletesSink sink = new DropsDeletesSink();

        @Override
        protected Sink newSink() {
            return sink;
        }

        @Override
        protected java.util.List<java.util.Map<String, Object>> readTarget(dev.dbsync.spi.TableSchema target) {
            java.util.List<java.util.Map<String, Object>> out = new java.util.ArrayList<>();
            for (java.util.List<Object> row : sink.rows(target.name())) {
                java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
                for (int i = 0; i < target.columns().size(); i++) {
                    m.put(target.columns().get(i).name(), row.get(i));
                }
                out.add(m);
            }
            return out;
        }
    }

    /** The source suite against the source that skips equal timestamps. */
    static class SkipsEqualTimestampsSuite extends SourceContractTest {
        private final SkipsEqualTimestampsSource source = new SkipsEqualTimestampsSource();

        @Override
        protected Source newSource() {
            return source;
        }

        @Override
        protected Set<Capability> capabilities() {
            return java.util.EnumSet.of(Capability.SNAPSHOT, Capability.INCREMENTAL, Capability.SOFT_DELETE);
        }

        @Override
        protected String createTable(String baseName, dev.dbsync.spi.TableSchema schema) {
            source.createTable(schema);
            return baseName;
        }

        @Override
        protected void upsertRows(String table, dev.dbsync.spi.TableSchema schema, java.util.List<java.util.List<Object>> rows) {
            rows.forEach(r -> source.upsert(table, r.toArray()));
        }

        @Override
        protected void deleteRows(String table, dev.dbsync.spi.TableSchema schema, java.util.List<java.util.List<Object>> keys) {
            keys.forEach(k -> source.delete(table, k.toArray()));
        }
    }

    private static Set<String> failures(Class<?> suite) {
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(suite)).build(), listener);
        TestExecutionSummary summary = listener.getSummary();
        assertTrue(summary.getTestsFoundCount() >= 5, "the suite ran: " + summary.getTestsFoundCount() + " tests");
        Set<String> names = new TreeSet<>();
        summary.getFailures().forEach(f -> names.add(f.getTestIdentifier().getDisplayName().replace("()", "")));
        return names;
    }

    @Test
    void theSinkSuiteCatchesASinkThatDropsDeletes() {
        assertEquals(Set.of("deleteRemovesByKeyAndMissingKeysAreNoError", "oddIdentifiersAreQuotedNotInjected",
                "compositeKeys", "resumesAfterASimulatedCrashWithNothingLostOrDoubled", "theLastChangeOfAKeyInOneBatchWins"),
                failures(DropsDeletesSuite.class));
    }

    @Test
    void theSourceSuiteCatchesASourceThatSkipsEqualTimestamps() {
        Set<String> failed = failures(SkipsEqualTimestampsSuite.class);
        assertTrue(failed.contains("incrementalNeverSkipsRowsSharingOneTimestampAcrossChunkBoundaries"), failed::toString);
    }

    @Test
    void theSourceSuiteCatchesPositionsThatDoNotBelongToTheirEvent() {
        Set<String> failed = failures(ChunkEndPositionsSuite.class);
        assertTrue(failed.contains("snapshotReadsInChunksAndResumesMidway"), failed::toString);
        assertTrue(failed.contains("resumesFromACheckpointedPositionWithNothingLostOrDoubled"), failed::toString);
    }

    @Test
    void theSuitesPassForTheReferenceConnectors() {
        assertEquals(Set.of(), failures(MemorySinkContractTest.class));
        assertEquals(Set.of(), failures(MemorySourceContractTest.class));
    }
}
