package dev.dbsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.memory.MemorySink;
import dev.dbsync.testkit.memory.MemorySource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The contract suites can fail: run against deliberately broken connectors, exactly the tests that check the
 * broken behaviour fail, and against the correct reference connectors nothing fails.
 */
class BrokenConnectorsTest {

    /** Forgets deletes. */
    static final class DropsDeletesSuite extends MemorySinkContractTest {
        @Override
        protected MemorySink createSink() {
            return new MemorySink() {
                @Override
                protected boolean appliesDeletes() {
                    return false;
                }
            };
        }
    }

    /** Loses what a writer buffered when it is closed without a flush. */
    static final class LosesBufferOnCloseSuite extends MemorySinkContractTest {
        @Override
        protected MemorySink createSink() {
            return new MemorySink() {
                @Override
                protected boolean flushesOnClose() {
                    return false;
                }
            };
        }
    }

    /** Declares versions but lets whatever comes last win. */
    static final class OlderVersionWinsSuite extends MemorySinkContractTest {
        @Override
        protected MemorySink createSink() {
            return new MemorySink() {
                @Override
                protected boolean comparesVersions() {
                    return false;
                }
            }.versioned();
        }
    }

    /** Reads only rows whose cursor is strictly greater than the last one read. */
    static final class SkipsEqualTimestampsSuite extends MemorySourceContractTest {
        @Override
        protected MemorySource createSource() {
            return new MemorySource() {
                @Override
                protected boolean tieBreakByKey() {
                    return false;
                }
            };
        }
    }

    /** Reads past the start of open transactions: no safe bound. */
    static final class NoSafeBoundSuite extends MemorySourceContractTest {
        @Override
        protected MemorySource createSource() {
            return new MemorySource() {
                @Override
                protected boolean honoursOpenTransactions() {
                    return false;
                }
            };
        }
    }

    /** Gives every event of a chunk the chunk's end position, so a resume from a batch inside it skips rows. */
    static final class ChunkEndPositionsSuite extends MemorySourceContractTest {
        private static Chunk blur(Chunk c) {
            if (c.events().isEmpty()) {
                return c;
            }
            Position end = c.events().get(c.events().size() - 1).position();
            List<ChangeEvent> out = new ArrayList<>();
            for (ChangeEvent e : c.events()) {
                out.add(e.withPosition(end));
            }
            return new Chunk(out, c.next(), c.last());
        }

        @Override
        protected MemorySource createSource() {
            return new MemorySource() {
                @Override
                public synchronized Chunk readSnapshot(TableSpec spec, TableSchema schema, Position after, int maxRows) {
                    return blur(super.readSnapshot(spec, schema, after, maxRows));
                }

                @Override
                public synchronized Chunk readChanges(TableSpec spec, TableSchema schema, Position after, int maxRows) {
                    return blur(super.readChanges(spec, schema, after, maxRows));
                }
            };
        }
    }

    private static Set<String> failures(Class<?> suite) {
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(suite)).build(), listener);
        TestExecutionSummary summary = listener.getSummary();
        assertTrue(summary.getTestsFoundCount() >= 5, "the suite ran: " + summary.getTestsFoundCount() + " tests");
        assertEquals(0, summary.getTestsSkippedCount() + summary.getTestsAbortedCount(), "nothing skipped or aborted");
        Set<String> names = new TreeSet<>();
        summary.getFailures().forEach(f -> names.add(f.getTestIdentifier().getDisplayName().replace("()", "")));
        return names;
    }

    @Test
    void theSinkSuiteCatchesASinkThatDropsDeletes() {
        assertEquals(Set.of("deleteRemovesByKeyAndMissingKeysAreNoError", "deletesAndReinsertsInOneBatchKeepTheirOrder",
                "oddIdentifiersAreQuotedNotInjected", "compositeKeys", "resumesAfterASimulatedCrashWithNothingLostOrDoubled"),
                failures(DropsDeletesSuite.class));
    }

    @Test
    void theSinkSuiteCatchesASinkThatLosesItsBufferOnClose() {
        assertEquals(Set.of("closingAWriterKeepsWhatItBuffered"), failures(LosesBufferOnCloseSuite.class));
    }

    @Test
    void theSinkSuiteCatchesASinkThatLetsAnOlderVersionWin() {
        assertEquals(Set.of("aReplayedOlderChangeNeverWinsInAVersionedSink"), failures(OlderVersionWinsSuite.class));
    }

    @Test
    void theSourceSuiteCatchesASourceThatSkipsEqualTimestamps() {
        Set<String> failed = failures(SkipsEqualTimestampsSuite.class);
        assertTrue(failed.contains("incrementalNeverSkipsRowsSharingOneTimestampAcrossChunkBoundaries"), failed::toString);
    }

    @Test
    void theSourceSuiteCatchesASourceWithoutASafeBound() {
        assertEquals(Set.of("rowsOfALateCommittingWriterAreNotSkipped"), failures(NoSafeBoundSuite.class));
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
        assertEquals(Set.of(), failures(MemorySinkContractTest.Versioned.class));
        assertEquals(Set.of(), failures(MemorySinkContractTest.Replacing.class));
        assertEquals(Set.of(), failures(MemorySourceContractTest.class));
    }
}
