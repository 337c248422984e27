package dev.dbsync.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dbsync.spi.Checkpoint;
import dev.dbsync.spi.Position;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Ordering of checkpoint saves when clocks disagree: each save must win over every row stored before it. */
class ClickHouseCheckpointStoreIT {

    private static final String TABLE = "sync_control_clock_" + ProcessHandle.current().pid();

    private static Checkpoint changesAt(long n) {
        return new Checkpoint(Checkpoint.Phase.CHANGES, null, Position.of(n), n);
    }

    @Test
    void aSaveWinsOverARowStoredByAClockAhead() {
        try (ChConnection conn = ClickHouseTestSupport.connection()) {
            ClickHouseCheckpointStore first = new ClickHouseCheckpointStore(conn, TABLE, false);
            first.save("p", "ahead", changesAt(1));
            // a previous process whose clock was an hour ahead saved the newest row so far
            conn.execute("INSERT INTO " + Sql.table(conn.settings().database, TABLE) + " (pipeline, `table`, position, synced_at)"
                    + " VALUES ('p', 'ahead', " + Sql.literal(changesAt(2).encode()) + ", now64(3) + INTERVAL 1 HOUR)", "test");

            ClickHouseCheckpointStore restarted = new ClickHouseCheckpointStore(conn, TABLE, false);
            assertEquals(Optional.of(changesAt(2)), restarted.load("p", "ahead"));
            restarted.save("p", "ahead", changesAt(3));
            assertEquals(Optional.of(changesAt(3)), restarted.load("p", "ahead"));
            restarted.save("p", "ahead", changesAt(4));
            assertEquals(Optional.of(changesAt(4)), restarted.load("p", "ahead"));
            restarted.clear("p", "ahead");
            assertEquals(Optional.empty(), restarted.load("p", "ahead"));
        }
    }

    @Test
    void savesFromAClockBehindTheStoredOneStillWinInOrder() {
        try (ChConnection conn = ClickHouseTestSupport.connection()) {
            new ClickHouseCheckpointStore(conn, TABLE, false).save("p", "behind", changesAt(1));
            // restarted on a machine whose clock stands at 1970 and does not move
            ClickHouseCheckpointStore slow = new ClickHouseCheckpointStore(conn, TABLE, false, () -> 0L);
            for (long n = 2; n <= 5; n++) {
                slow.save("p", "behind", changesAt(n));
                assertEquals(Optional.of(changesAt(n)), slow.load("p", "behind"));
            }
            slow.clear("p", "behind");
            assertEquals(Optional.empty(), slow.load("p", "behind"));
            slow.save("p", "behind", changesAt(6));
            assertEquals(Optional.of(changesAt(6)), new ClickHouseCheckpointStore(conn, TABLE, false).load("p", "behind"));
        }
    }
}
