package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The column types users have beyond the core ones — time, timetz, interval, enum, inet, cidr, money, ranges,
 * char(n), arrays of those — synced PostgreSQL → PostgreSQL by snapshot and by change feed: every value arrives
 * in the same form (compared through each type's output function), whichever path carried it.
 */
class PgTypesRoundTripIT {

    private static final String COLUMNS = "id, t, tz, iv, mood, ip, net, m, r, tr, c, ips, ivs, moods, n";

    @Test
    void everyTypeRoundTripsBySnapshotAndByChangeFeed() throws Exception {
        CdcFixture source = new CdcFixture("types_src");
        PgTestDb target = PgTestDb.create("types_dst");
        String slot = "types_" + ProcessHandle.current().pid();
        source.exec("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
                "CREATE TABLE odd (id bigint PRIMARY KEY, t time, tz timetz, iv interval, mood mood, ip inet, net cidr,"
                        + " m money, r int4range, tr tstzrange, c char(5), ips inet[], ivs interval[], moods mood[], n numeric)",
                "ALTER TABLE odd REPLICA IDENTITY FULL",
                "INSERT INTO odd VALUES (1, '13:45:30.123456', '13:45:30+02', '1 year 2 mons 3 days 04:05:06.789', 'happy',"
                        + " '10.0.0.1', '10.0.0.0/8', 1234.56, '[1,10)', '[2024-01-01 00:00:00+00,2024-02-01 00:00:00+00)', 'ab',"
                        + " ARRAY['10.0.0.1'::inet, '::1'], ARRAY['1 day'::interval, '-2 hours'], ARRAY['sad'::mood, 'ok'], 1.5)",
                "INSERT INTO odd VALUES (2, '00:00', '23:59:59.999999-11', '-3 days', 'sad', '2001:db8::1/64', '2001:db8::/32',"
                        + " -0.01, 'empty', '(,)', 'abcde', '{}', NULL, '{happy}', NULL)",
                "INSERT INTO odd (id) VALUES (3)");
        CheckpointStore store = CheckpointStores.memory();
        try {
            SyncReport r1 = run(source, target, slot, store);
            assertTrue(r1.succeeded(), r1.toText());
            assertSame(source, target, "after the snapshot");
            source.exec("UPDATE odd SET t = '23:59:59.999999', iv = '10 minutes', mood = 'ok', ip = '192.168.0.1/24',"
                            + " m = 99.99, r = '[5,6]', c = 'x', ips = ARRAY['10.0.0.2'::inet], moods = '{ok,happy}' WHERE id = 1",
                    "INSERT INTO odd VALUES (4, '12:00', '12:00+00', '1 mon', 'ok', '172.16.0.1', '172.16.0.0/12', 5, '[,3)',"
                            + " 'empty', 'pad', ARRAY['::ffff:1.2.3.4'::inet], ARRAY['3 days'::interval], '{}', 2)");
            SyncReport r2 = run(source, target, slot, store);
            assertTrue(r2.succeeded(), r2.toText());
            assertTrue(r2.rowsRead() >= 2, "the changes came through the feed: " + r2.toText());
            assertSame(source, target, "after the change feed");
            try (PostgresSource s = new PostgresSource(source.connections)) {
                TableSchema schema = s.describe(TableSpec.of("public.odd"));
                assertEquals(LogicalType.TIME, schema.column("t").type());
                assertEquals(LogicalType.STRING, schema.column("iv").type(), "interval keeps its text form");
                assertEquals("interval", schema.column("iv").sourceType());
            }
        } finally {
            new PgReplication(source.connections, slot, slot).dropSlot();
        }
    }

    /** The whole range of PostgreSQL's dates and timestamps, BC years and infinities included, by both paths. */
    @Test
    void datesAndTimestampsOfEveryYearPostgresHoldsRoundTrip() throws Exception {
        CdcFixture source = new CdcFixture("years_src");
        PgTestDb target = PgTestDb.create("years_dst");
        String slot = "years_" + ProcessHandle.current().pid();
        source.exec("CREATE TABLE odd (id bigint PRIMARY KEY, d date, ts timestamp, tz timestamptz)",
                "ALTER TABLE odd REPLICA IDENTITY FULL",
                "INSERT INTO odd VALUES (1, '4713-01-01 BC', '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00+00 BC'),"
                        + " (2, '5874897-12-31', '294276-12-31 23:59:59.999999', '294276-12-31 23:59:59.999999+00'),"
                        + " (3, 'infinity', 'infinity', 'infinity'), (4, '-infinity', '-infinity', '-infinity'),"
                        + " (5, '0001-01-01', '0001-01-01 00:00:00', '0001-01-01 00:00:00+00'),"
                        + " (6, '0001-12-31 BC', '0001-12-31 23:59:59.5 BC', '0001-12-31 23:59:59.5+00 BC')");
        CheckpointStore store = CheckpointStores.memory();
        try {
            SyncReport r1 = run(source, target, slot, store);
            assertTrue(r1.succeeded(), r1.toText());
            assertSame(source, target, "after the snapshot", "id, d, ts, tz");
            source.exec("INSERT INTO odd SELECT id + 10, d, ts, tz FROM odd", "UPDATE odd SET d = '2000-01-01 BC' WHERE id = 1");
            SyncReport r2 = run(source, target, slot, store);
            assertTrue(r2.succeeded(), r2.toText());
            assertSame(source, target, "after the change feed", "id, d, ts, tz");
        } finally {
            new PgReplication(source.connections, slot, slot).dropSlot();
        }
    }

    private static SyncReport run(CdcFixture source, PgTestDb target, String slot, CheckpointStore store) {
        PostgresSource src = new PostgresSource(source.connections, "public", Duration.ZERO, slot, slot);
        try (SyncEngine engine = SyncEngine.builder().pipeline("types").source(src)
                .sink(new PostgresSink(target.factory(), "public", true, null)).checkpointStore(store)
                .table(TableSync.cdc(TableSpec.of("public.odd"))).streamIdle(Duration.ofMillis(500)).build()) {
            return engine.runOnce();
        }
    }

    /** Every column of every row in its output function's form, on both sides. */
    private static void assertSame(CdcFixture source, PgTestDb target, String when) throws Exception {
        assertSame(source, target, when, COLUMNS);
    }

    private static void assertSame(CdcFixture source, PgTestDb target, String when, String columns) throws Exception {
        List<String> expected;
        try (Connection c = source.connections.open()) {
            expected = rows(c, columns);
        }
        List<String> actual;
        try (Connection c = target.connect()) {
            actual = rows(c, columns);
        }
        assertEquals(expected, actual, when);
    }

    private static List<String> rows(Connection c, String columns) throws Exception {
        List<String> out = new ArrayList<>();
        StringBuilder sel = new StringBuilder();
        for (String col : columns.split(", ")) {
            sel.append(sel.length() == 0 ? "" : " || ' | ' || ").append("coalesce(to_json(").append(col).append(")::text, 'NULL')");
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT " + sel + " FROM odd ORDER BY id")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
