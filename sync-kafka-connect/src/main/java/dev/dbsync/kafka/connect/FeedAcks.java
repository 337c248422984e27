package dev.dbsync.kafka.connect;

import dev.dbsync.spi.Position;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Which change-feed position may be acknowledged to the source. Kafka acknowledges records
 * ({@code commitRecord}) in any order across topic partitions, so only the contiguous prefix of acknowledged
 * records, in poll order, counts; and Connect's {@code commit()} says an offset flush completed without saying
 * which offsets it held, so each {@code commit()} releases the prefix recorded at the previous one, which that
 * flush provably covered. Thread-safe: records are tracked on the task thread, acknowledged on the producer's
 * and committed on the offset committer's.
 */
final class FeedAcks {

    private static final class InFlight {
        final Position position;
        boolean acked;

        InFlight(Position position) {
            this.position = position;
        }
    }

    private final Deque<InFlight> inFlight = new ArrayDeque<>();
    private final Map<SourceRecord, InFlight> byRecord = new IdentityHashMap<>();
    private Position candidate;
    private Position previous;

    /** A feed record handed to Connect, with the feed position just after it. */
    synchronized void track(SourceRecord record, Position position) {
        InFlight f = new InFlight(position);
        inFlight.addLast(f);
        byRecord.put(record, f);
    }

    /** Kafka acknowledged the record. */
    synchronized void acked(SourceRecord record) {
        InFlight f = byRecord.remove(record);
        if (f == null) {
            return;
        }
        f.acked = true;
        while (!inFlight.isEmpty() && inFlight.peekFirst().acked) {
            candidate = inFlight.pollFirst().position;
        }
    }

    /** An offset flush completed: the position now safe to acknowledge, or null. */
    synchronized Position committed() {
        Position safe = previous;
        previous = candidate;
        return safe;
    }
}
