package dev.dbsync.kafka.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.dbsync.spi.Position;
import java.util.Map;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/**
 * The feed is acknowledged only up to records Kafka acknowledged without a gap before them, and only one offset
 * commit after they were acknowledged: acknowledgements arriving out of order across partitions never let the
 * source discard a change that is not durable in Kafka and in Connect's offsets.
 */
class FeedAcksTest {

    private static SourceRecord rec(int n) {
        return new SourceRecord(Map.of("feed", "stream"), Map.of("position", Integer.toString(n)), "t" + (n % 3), null, null);
    }

    @Test
    void outOfOrderAcknowledgementsReleaseOnlyTheContiguousPrefixOneCommitLater() {
        FeedAcks acks = new FeedAcks();
        SourceRecord r1 = rec(1);
        SourceRecord r2 = rec(2);
        SourceRecord r3 = rec(3);
        acks.track(r1, Position.of(1L));
        acks.track(r2, Position.of(2L));
        acks.track(r3, Position.of(3L));
        acks.acked(r3);
        acks.acked(r2);
        assertNull(acks.committed(), "record 1 is not acknowledged: nothing may be released");
        assertNull(acks.committed());
        acks.acked(r1);
        assertNull(acks.committed(), "acknowledged after the last commit: the next flush covers it, this one may not");
        assertEquals(Position.of(3L), acks.committed(), "one commit later, all three");
        SourceRecord r4 = rec(4);
        acks.track(r4, Position.of(4L));
        assertEquals(Position.of(3L), acks.committed(), "nothing newer acknowledged: the same position again");
        acks.acked(r4);
        acks.acked(r4);
        assertEquals(Position.of(3L), acks.committed());
        assertEquals(Position.of(4L), acks.committed());
    }
}
