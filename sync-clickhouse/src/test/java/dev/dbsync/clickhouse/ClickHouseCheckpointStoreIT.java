package dev.dbsync.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Ordering of checkpoint saves when clocks disagree (each save must win over every row stored before it), and
 * leases of processes that died on this host.
 */
class ClickHouseCheckpointStoreIT {

    private static final String TABLE = "sync_control_clock_" + ProcessHandle.current().pid();

    private static String changesAt(long n) {
        return "{\"changesFrom\":\"" + n + "\"}";
    }

    private static ClickHouseCheckpointStore store(ChConnection conn, java.util.function.LongSupplier clock) {
        return new ClickHouseCheckpointStore(conn, TABLE, false, clock, Duration.ofSeconds(15));
    }

    @Test
    void aSaveWinsOverARowStoredByAClockAhead() {
        try (ChConnection conn = ClickHouseTestSupport.connection()) {
            ClickHouseCheckpointStore first = store(conn, System::currentTimeMillis);
            Lease lease = first.acquire("p_ahead", "test:1");
            first.save(lease, "ahead", changesAt(1));
            // a previous process whose clock was an hour ahead saved the newest row so far
            conn.execute("INSERT INTO " + Sql.table(conn.settings().database, TABLE) + " (pipeline, `table`, position, synced_at)"
                    + " VALUES ('p_ahead', 'ahead', " + Sql.literal(changesAt(2)) + ", now64(3) + INTERVAL 1 HOUR)", "test");
            first.release(lease);

            ClickHouseCheckpointStore restarted = store(conn, System::currentTimeMillis);
            Lease next = restarted.acquire("p_ahead", "test:2");
            assertEquals(Optional.of(changesAt(2)), restarted.load("p_ahead", "ahead"));
            restarted.save(next, "ahead", changesAt(3));
            assertEquals(Optional.of(changesAt(3)), restarted.load("p_ahead", "ahead"));
            restarted.save(next, "ahead", changesAt(4));
            assertEquals(Optional.of(changesAt(4)), restarted.load("p_ahead", "ahead"));
            restarted.clear(next, "ahead");
            assertEquals(Optional.empty(), restarted.load("p_ahead", "ahead"));
            restarted.release(next);
            restarted.close();
        }
    }

    @Test
    void savesFromAClockBehindTheStoredOneStillWinInOrder() {
        try (ChConnection conn = ClickHouseTestSupport.connection()) {
            ClickHouseCheckpointStore first = store(conn, System::currentTimeMillis);
            Lease lease = first.acquire("p_behind", "test:1");
            first.save(lease, "behind", changesAt(1));
            first.release(lease);
            // restarted on a machine whose clock stands at 1970 and does not move
            ClickHouseCheckpointStore slow = store(conn, () -> 0L);
            Lease l2 = slow.acquire("p_behind", "test:2");
            for (long n = 2; n <= 5; n++) {
                slow.save(l2, "behind", changesAt(n));
                assertEquals(Optional.of(changesAt(n)), slow.load("p_behind", "behind"));
            }
            slow.clear(l2, "behind");
            assertEquals(Optional.empty(), slow.load("p_behind", "behind"));
            slow.save(l2, "behind", changesAt(6));
            assertEquals(Optional.of(changesAt(6)), store(conn, System::currentTimeMillis).load("p_behind", "behind"));
            slow.release(l2);
            slow.close();
        }
    }

    @Test
    void aHolderOfThisHostWhoseProcessIsGoneLosesItsLeaseAtOnce() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        String name = java.lang.management.ManagementFactory.getRuntimeMXBean().getName();
        String host = name.substring(name.indexOf('@') + 1);
        String deadHolder = host + ":" + gone.pid();
        assertTrue(ClickHouseCheckpointStore.deadOnThisHost(deadHolder));
        assertFalse(ClickHouseCheckpointStore.deadOnThisHost(host + ":" + ProcessHandle.current().pid()));
        assertFalse(ClickHouseCheckpointStore.deadOnThisHost("elsewhere:" + gone.pid()), "another host is never judged");
        try (ChConnection conn = ClickHouseTestSupport.connection()) {
            ClickHouseCheckpointStore dying = store(conn, System::currentTimeMillis);
            dying.acquire("p_dead", deadHolder);
            dying.close();
            ClickHouseCheckpointStore live = store(conn, System::currentTimeMillis);
            ClickHouseCheckpointStore other = store(conn, System::currentTimeMillis);
            Lease lease = live.acquire("p_dead", host + ":" + ProcessHandle.current().pid());
            LeaseException e = assertThrows(LeaseException.class, () -> other.acquire("p_dead", "elsewhere:1"));
            assertTrue(e.getMessage().contains(host + ":" + ProcessHandle.current().pid()), e.getMessage());
            live.release(lease);
            live.close();
            other.close();
        }
    }
}
