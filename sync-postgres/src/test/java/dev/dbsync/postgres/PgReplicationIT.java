package dev.dbsync.postgres;

import static dev.dbsync.postgres.CdcFixture.pollFor;
import static dev.dbsync.postgres.CdcFixture.pollUntil;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.ChangeStream;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.replication.LogSequenceNumber;

/** Change data capture through a real PostgreSQL 17 logical replication slot. */
class PgReplicationIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static CdcFixture db;

    @BeforeAll
    static void setUp() {
        db = new CdcFixture("pg_replication");
    }

    @AfterAll
    static void tearDown() {
        if (db != null) {
            db.dropSlots();
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Applies events to a map key → row, as an idempotent sink would. */
    static void apply(Map<List<Object>, List<Object>> target, List<ChangeEvent> events) {
        for (ChangeEvent e : events) {
            switch (e.operation()) {
                case UPSERT -> target.put(normalize(e.key()), normalize(e.values()));
                case DELETE -> target.remove(normalize(e.key()));
                case TRUNCATE -> target.clear();
                default -> throw new AssertionError(e);
            }
        }
    }

    /** byte[] compares by identity; wrap so rows compare by value. */
    static List<Object> normalize(List<Object> values) {
        List<Object> out = new ArrayList<>(values.size());
        for (Object v : values) {
            out.add(v instanceof byte[] b ? java.nio.ByteBuffer.wrap(b) : v);
        }
        return out;
    }

    /** Every row of the table, read through the source's snapshot path (binary COPY), as key → row. */
    static Map<List<Object>, List<Object>> table(TableSpec spec, TableSchema schema) {
        Map<List<Object>, List<Object>> rows = new LinkedHashMap<>();
        PostgresSource source = new PostgresSource(db.connections);
        Position after = null;
        while (true) {
            Chunk c = source.readSnapshot(spec, schema, after, 10_000);
            apply(rows, c.events());
            if (c.last() || c.events().isEmpty()) {
                return rows;
            }
            after = c.next();
        }
    }

    // ------------------------------------------------------------------ tests

    @Test
    void aSlotInUseByAnotherConsumerIsRefusedNamingIt() {
        db.exec("CREATE TABLE busy (id bigint PRIMARY KEY)");
        TableSpec spec = TableSpec.of("public.busy");
        TableSchema schema = db.describe(spec);
        PgReplication repl = db.replication("busy", Duration.ofSeconds(1), 100);
        Position start = repl.streamStart(List.of(spec));
        try (ChangeStream first = repl.open(List.of(schema), List.of(spec), start)) {
            first.poll(Duration.ofMillis(50));
            SyncException e = assertThrows(SyncException.class, () -> repl.open(List.of(schema), List.of(spec), start).close());
            assertTrue(e.getMessage().contains("is in use by server process") && e.getMessage().contains("application")
                    && e.getMessage().contains("slot.name"), e.getMessage());
        }
    }

    @Test
    void insertUpdateDeleteTruncateArriveExactlyWithTheSnapshotsValues() {
        db.exec("CREATE TABLE items (id bigint PRIMARY KEY, name text, price numeric(12,2), qty int, small smallint,"
                + " ratio float8, r real, active boolean, data jsonb, tags text[], nums int[], blob bytea, uid uuid,"
                + " day date, at timestamp, ts timestamptz, code char(4), note varchar(20))");
        TableSpec spec = TableSpec.of("public.items");
        PgReplication repl = db.replication("items", Duration.ofSeconds(1), 1000);
        Position start = repl.streamStart(List.of(spec));
        TableSchema schema = db.describe(spec);
        try (ChangeStream stream = repl.open(List.of(schema), List.of(spec), start)) {
            db.exec("INSERT INTO items VALUES (1, 'Grüße ''x'' \"y\" \\z', 1234.50, 7, -3, 0.1, 0.1, true,"
                    + " '{\"a\": [1, 2.5, null], \"b\": {\"c\": \"d\"}}', '{\"x y\",\"q\\\"uote\",NULL,plain}', '{1,NULL,3}',"
                    + " '\\x00ff10', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-02-29', '2024-01-02 03:04:05.123456',"
                    + " '2024-01-02 03:04:05.5+02', 'ab', 'v')");
            List<ChangeEvent> inserted = pollUntil(stream, 1, WAIT);
            Map<List<Object>, List<Object>> snapshot = table(spec, schema);
            assertEquals(1, snapshot.size());
            assertEquals(snapshot.values().iterator().next(), normalize(inserted.get(0).values()),
                    "the stream decodes every type to the same Java value as the snapshot");
            List<Object> v = inserted.get(0).values();
            assertEquals(1L, v.get(0));
            assertEquals("Grüße 'x' \"y\" \\z", v.get(1));
            assertEquals(new BigDecimal("1234.50"), v.get(2));
            assertEquals(7, v.get(3));
            assertEquals(-3, v.get(4));
            assertEquals(0.1, v.get(5));
            assertEquals((double) 0.1f, v.get(6));
            assertEquals(Boolean.TRUE, v.get(7));
            assertEquals(Map.of("a", Arrays.asList(1, new BigDecimal("2.5"), null), "b", Map.of("c", "d")), v.get(8));
            assertEquals(Arrays.asList("x y", "q\"uote", null, "plain"), v.get(9));
            assertEquals(Arrays.asList(1, null, 3), v.get(10));
            assertArrayEquals(new byte[] {0, (byte) 0xff, 0x10}, (byte[]) v.get(11));
            assertEquals(UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), v.get(12));
            assertEquals(LocalDate.of(2024, 2, 29), v.get(13));
            assertEquals(LocalDateTime.of(2024, 1, 2, 3, 4, 5, 123_456_000), v.get(14));
            assertEquals(Instant.parse("2024-01-02T01:04:05.5Z"), v.get(15));
            assertEquals("ab", v.get(16));
            assertEquals("v", v.get(17));

            db.exec("UPDATE items SET name = 'renamed', qty = NULL WHERE id = 1");
            db.exec("UPDATE items SET id = 10 WHERE id = 1");
            db.exec("DELETE FROM items WHERE id = 10");
            db.exec("INSERT INTO items (id, name) VALUES (2, 'two')");
            db.exec("TRUNCATE items");
            List<ChangeEvent> events = pollUntil(stream, 6, WAIT);
            assertEquals(6, events.size(), events.toString());
            assertEquals(Operation.UPSERT, events.get(0).operation());
            assertEquals("renamed", events.get(0).values().get(1));
            assertEquals(null, events.get(0).values().get(3));
            assertEquals(List.of(1L), events.get(0).key());
            assertEquals(Operation.DELETE, events.get(1).operation(), "key change: the old key is deleted");
            assertEquals(List.of(1L), events.get(1).key());
            assertEquals(List.of(), events.get(1).values(), "REPLICA IDENTITY DEFAULT: only the key is known");
            assertEquals(Operation.UPSERT, events.get(2).operation());
            assertEquals(List.of(10L), events.get(2).key());
            assertEquals("renamed", events.get(2).values().get(1));
            assertEquals(Operation.DELETE, events.get(3).operation());
            assertEquals(List.of(10L), events.get(3).key());
            assertEquals(Operation.UPSERT, events.get(4).operation());
            assertEquals(Operation.TRUNCATE, events.get(5).operation());
            assertEquals("public.items", events.get(5).table());

            List<ChangeEvent> all = new ArrayList<>(inserted);
            all.addAll(events);
            for (int i = 1; i < all.size(); i++) {
                assertTrue(all.get(i).version() >= all.get(i - 1).version(), "versions grow: " + all);
                assertTrue(comparePositions(all.get(i).position(), all.get(i - 1).position()) > 0, "positions grow: " + all);
            }
            assertTrue(events.get(0).version() > inserted.get(0).version(), "a later change of key 1 has a larger version");
            assertTrue(events.get(3).version() > events.get(2).version(), "a later change of key 10 has a larger version");
            assertTrue(all.get(0).version() >= (Long) start.get(0), "versions are LSNs from the start on " + start + ": " + all.get(0));
            assertEquals(List.of(), stream.poll(Duration.ofMillis(300)), "nothing more");
        }
    }

    @Test
    void largeToastValuesAreNeverOverwritten() {
        db.exec("CREATE TABLE docs (id int PRIMARY KEY, title text, body text)",
                "CREATE TABLE docs_full (id int PRIMARY KEY, title text, body text)",
                "ALTER TABLE docs_full REPLICA IDENTITY FULL");
        TableSpec docs = TableSpec.of("docs");
        TableSpec full = TableSpec.of("docs_full");
        PgReplication repl = db.replication("toast", Duration.ofSeconds(1), 1000);
        Position start = repl.streamStart(List.of(docs, full));
        TableSchema docsSchema = db.describe(docs);
        TableSchema fullSchema = db.describe(full);
        // 100 KB of text that compresses (a 1.6 KB period) but stays above the 2 KB in-line limit
        String big = "(SELECT string_agg(md5((i % 50)::text || 'SALT'), '') FROM generate_series(1, 3200) i)";
        Map<List<Object>, List<Object>> docsTarget = new HashMap<>();
        Map<List<Object>, List<Object>> fullTarget = new HashMap<>();
        try (ChangeStream stream = repl.open(List.of(docsSchema, fullSchema), List.of(docs, full), start)) {
            db.exec("INSERT INTO docs SELECT i, 'title ' || i, " + big.replace("SALT", "v1") + " FROM generate_series(1, 5) i",
                    "INSERT INTO docs_full SELECT i, 'title ' || i, " + big.replace("SALT", "f1") + " FROM generate_series(1, 2) i");
            assertTrue(db.queryLong("SELECT count(*) FROM docs WHERE pg_column_compression(body) IS NOT NULL"
                    + " AND pg_column_size(body) < octet_length(body) / 4 AND pg_column_size(body) > 2048") == 5,
                    "bodies are stored compressed and out of line");
            List<ChangeEvent> inserted = pollUntil(stream, 7, WAIT);
            applyAll(inserted, docsTarget, fullTarget);

            // (a) another column changes in a later poll: the body is read back by key
            db.exec("UPDATE docs SET title = 'a' WHERE id = 1");
            // (b) the body changes, then the title, in one poll: the second takes the body of the first
            db.exec("UPDATE docs SET body = " + big.replace("SALT", "v2") + " WHERE id = 2",
                    "UPDATE docs SET title = 'b' WHERE id = 2");
            // (c) the title changes, then the body: the first event may carry the newer body, never a placeholder
            db.exec("UPDATE docs SET title = 'c' WHERE id = 3",
                    "UPDATE docs SET body = " + big.replace("SALT", "v3") + " WHERE id = 3");
            // (d) the title changes, then the row is deleted before the stream reads it
            db.exec("UPDATE docs SET title = 'd' WHERE id = 4", "DELETE FROM docs WHERE id = 4");
            // (e) REPLICA IDENTITY FULL: the old row carries the body
            db.exec("UPDATE docs_full SET title = 'e' WHERE id = 1");
            // (f) two updates of other columns in one transaction
            db.transaction("UPDATE docs SET title = 'f1' WHERE id = 5", "UPDATE docs SET title = 'f2' WHERE id = 5");

            List<ChangeEvent> events = pollUntil(stream, 9, WAIT);
            events.addAll(pollFor(stream, Duration.ofMillis(300)));
            for (ChangeEvent e : events) {
                if (e.operation() == Operation.UPSERT) {
                    String body = (String) e.values().get(2);
                    assertNotNull(body, "no placeholder or null for an unchanged body: " + e.key());
                    assertEquals(102_400, body.length(), "the whole body: " + e.key());
                }
            }
            ChangeEvent a = find(events, "docs", 1, "a");
            assertEquals(docsTarget.get(List.of(1)).get(2), a.values().get(2), "(a) the unchanged body");
            ChangeEvent b = find(events, "docs", 2, "b");
            assertEquals(db.queryString("SELECT body FROM docs WHERE id = 2"), b.values().get(2), "(b)");
            assertTrue(events.stream().noneMatch(e -> e.operation() == Operation.UPSERT && e.key().equals(List.of(4))),
                    "(d) the update of a row deleted since is dropped, not written with a guessed body");
            assertTrue(events.stream().anyMatch(e -> e.operation() == Operation.DELETE && e.key().equals(List.of(4))));
            ChangeEvent e1 = find(events, "docs_full", 1, "e");
            assertEquals(fullTarget.get(List.of(1)).get(2), e1.values().get(2), "(e) from the old row");
            ChangeEvent f1 = find(events, "docs", 5, "f1");
            ChangeEvent f2 = find(events, "docs", 5, "f2");
            assertEquals(docsTarget.get(List.of(5)).get(2), f1.values().get(2), "(f)");
            assertEquals(docsTarget.get(List.of(5)).get(2), f2.values().get(2), "(f)");

            applyAll(events, docsTarget, fullTarget);
            assertEquals(table(docs, docsSchema), docsTarget, "target equals source");
            assertEquals(table(full, fullSchema), fullTarget, "target equals source");
        }
    }

    @Test
    void unchangedLargeValuesAreFoundForCharAndInetKeysToo() {
        db.exec("CREATE TABLE padded (code char(6) PRIMARY KEY, title text, body text)",
                "CREATE TABLE hosts (addr inet PRIMARY KEY, title text, body text)");
        TableSpec padded = TableSpec.of("padded");
        TableSpec hosts = TableSpec.of("hosts");
        PgReplication repl = db.replication("toastkeys", Duration.ofSeconds(1), 1000);
        Position start = repl.streamStart(List.of(padded, hosts));
        TableSchema paddedSchema = db.describe(padded);
        TableSchema hostsSchema = db.describe(hosts);
        String big = "(SELECT string_agg(md5((i % 50)::text || 'k'), '') FROM generate_series(1, 3200) i)";
        try (ChangeStream stream = repl.open(List.of(paddedSchema, hostsSchema), List.of(padded, hosts), start)) {
            db.exec("INSERT INTO padded VALUES ('ab', 'first', " + big + ")",
                    "INSERT INTO hosts VALUES ('10.0.0.1', 'first', " + big + ")");
            pollUntil(stream, 2, WAIT);
            db.exec("UPDATE padded SET title = 'second' WHERE code = 'ab'",
                    "UPDATE hosts SET title = 'second' WHERE addr = '10.0.0.1'");
            List<ChangeEvent> events = pollUntil(stream, 2, WAIT);
            events.addAll(pollFor(stream, Duration.ofMillis(300)));
            assertEquals(2, events.size(), "both updates arrive, none dropped as if deleted: " + events);
            for (ChangeEvent e : events) {
                assertEquals("second", e.values().get(1));
                assertEquals(102_400, ((String) e.values().get(2)).length(), "the unchanged body of " + e.key());
            }
        }
    }

    private static void applyAll(List<ChangeEvent> events, Map<List<Object>, List<Object>> docs,
                                 Map<List<Object>, List<Object>> full) {
        for (ChangeEvent e : events) {
            apply(e.table().equals("docs") ? docs : full, List.of(e));
        }
    }

    private static ChangeEvent find(List<ChangeEvent> events, String table, int id, String title) {
        return events.stream().filter(e -> e.table().equals(table) && e.operation() == Operation.UPSERT
                && e.key().equals(List.of(id)) && title.equals(e.values().get(1))).findFirst()
                .orElseThrow(() -> new AssertionError("no upsert of " + table + " " + id + " '" + title + "' in " + events));
    }

    @Test
    void restartMidStreamResumesFromTheAcknowledgedPositionWithNothingLostOrDoubled() throws Exception {
        db.exec("CREATE TABLE moves (id int PRIMARY KEY, v int, s text)",
                "INSERT INTO moves SELECT i, 0, 'initial' FROM generate_series(1, 300) i");
        TableSpec spec = TableSpec.of("moves");
        // small polls, so transactions span several polls and restarts land inside them
        PgReplication repl = db.replication("moves", Duration.ofSeconds(1), 37);
        Position start = repl.streamStart(List.of(spec));
        TableSchema schema = db.describe(spec);
        Map<List<Object>, List<Object>> target = table(spec, schema);

        Thread writer = new Thread(() -> {
            for (int round = 1; round <= 6; round++) {
                int r = round;
                db.transaction("INSERT INTO moves SELECT i, " + r + ", 'ins' FROM generate_series(" + (1000 * r) + ", " + (1000 * r + 120) + ") i",
                        "UPDATE moves SET v = v + 1, s = 'upd" + r + "' WHERE id % 7 = " + (r % 7),
                        "UPDATE moves SET id = id + 100000 WHERE id BETWEEN " + (r * 20) + " AND " + (r * 20 + 4),
                        "DELETE FROM moves WHERE id % 11 = " + r);
                for (int i = 0; i < 10; i++) {
                    db.exec("UPDATE moves SET v = v + 1 WHERE id = " + (200 + i + r));
                }
            }
        });
        writer.start();

        Set<Position> applied = new HashSet<>();
        int duplicates = 0;
        int restarts = 0;
        int midTransaction = 0;
        Position saved = start;
        ChangeStream stream = repl.open(List.of(schema), List.of(spec), saved);
        try {
            int polls = 0;
            long quietSince = System.nanoTime();
            while (true) {
                List<ChangeEvent> events = stream.poll(Duration.ofMillis(100));
                if (events.isEmpty()) {
                    if (!writer.isAlive() && System.nanoTime() - quietSince > Duration.ofSeconds(2).toNanos()) {
                        break;
                    }
                    continue;
                }
                quietSince = System.nanoTime();
                polls++;
                if (polls % 4 == 0) {
                    // crash after polling: this batch was never written, so it must come again
                    stream.close();
                    restarts++;
                    midTransaction += (Long) saved.get(1) > 0 ? 1 : 0;
                    stream = reopen(repl, schema, spec, saved);
                    continue;
                }
                for (ChangeEvent e : events) {
                    if (!applied.add(e.position())) {
                        duplicates++;
                    }
                }
                apply(target, events);
                saved = events.get(events.size() - 1).position();
                stream.acknowledge(saved);
                if (polls % 5 == 0) {
                    // clean restart from the acknowledged position, often mid-transaction
                    stream.close();
                    restarts++;
                    midTransaction += (Long) saved.get(1) > 0 ? 1 : 0;
                    stream = reopen(repl, schema, spec, saved);
                }
            }
        } finally {
            stream.close();
            writer.join();
        }
        assertTrue(restarts >= 5, "restarts: " + restarts);
        assertTrue(midTransaction >= 1, "restarts inside a transaction: " + midTransaction + " of " + restarts);
        assertEquals(0, duplicates, "no event delivered again after its position was acknowledged");
        assertEquals(table(spec, schema), target, "target equals source after " + restarts + " restarts");
    }

    /** Reopens like the engine does: a slot still held by the WAL sender of the closed stream is retried. */
    private static ChangeStream reopen(PgReplication repl, TableSchema schema, TableSpec spec, Position from) {
        for (int attempt = 0; ; attempt++) {
            try {
                return repl.open(List.of(schema), List.of(spec), from);
            } catch (dev.dbsync.spi.RetriableException e) {
                if (attempt == 20) {
                    throw e;
                }
                CdcFixture.sleep(100);
            }
        }
    }

    @Test
    void resumesBetweenTheTwoEventsOfAKeyChange() {
        db.exec("CREATE TABLE rekey (id int PRIMARY KEY, v text)", "INSERT INTO rekey VALUES (1, 'x')");
        TableSpec spec = TableSpec.of("rekey");
        PgReplication repl = db.replication("rekey", Duration.ofSeconds(1), 1);
        Position start = repl.streamStart(List.of(spec));
        TableSchema schema = db.describe(spec);
        db.transaction("UPDATE rekey SET id = 2 WHERE id = 1", "INSERT INTO rekey VALUES (3, 'y')");
        Position after;
        try (ChangeStream stream = repl.open(List.of(schema), List.of(spec), start)) {
            // one message gives both events of a key change; a consumer may still stop between them
            List<ChangeEvent> first = pollUntil(stream, 1, WAIT);
            assertEquals(Operation.DELETE, first.get(0).operation());
            assertEquals(List.of(1), first.get(0).key());
            after = first.get(0).position();
            assertEquals(1L, after.get(1), "first data message");
            assertEquals(1L, after.get(2), "first event of it");
            stream.acknowledge(after);
        }
        try (ChangeStream stream = repl.open(List.of(schema), List.of(spec), after)) {
            List<ChangeEvent> rest = pollUntil(stream, 2, WAIT);
            assertEquals(Operation.UPSERT, rest.get(0).operation());
            assertEquals(List.of(2), rest.get(0).key());
            assertEquals(List.of(3), rest.get(1).key());
            assertEquals(0L, rest.get(1).position().get(1), "the transaction's last event carries its end position");
            assertEquals(List.of(), stream.poll(Duration.ofMillis(300)));
        }
    }

    @Test
    void softDeletedRowsBecomeDeletes() {
        db.exec("CREATE TABLE soft (id int PRIMARY KEY, name text, is_deleted boolean NOT NULL DEFAULT false)");
        TableSpec spec = TableSpec.of("soft").withSoftDelete("is_deleted");
        PgReplication repl = db.replication("soft", Duration.ofSeconds(1), 1000);
        Position start = repl.streamStart(List.of(spec));
        TableSchema schema = db.describe(spec);
        try (ChangeStream stream = repl.open(List.of(schema), List.of(spec), start)) {
            db.exec("INSERT INTO soft VALUES (1, 'a', false), (2, 'b', true)",
                    "UPDATE soft SET is_deleted = true WHERE id = 1",
                    "UPDATE soft SET is_deleted = false, name = 'back' WHERE id = 2");
            List<ChangeEvent> events = pollUntil(stream, 4, WAIT);
            assertEquals(Operation.UPSERT, events.get(0).operation());
            assertEquals(List.of(1), events.get(0).key());
            assertEquals(Operation.DELETE, events.get(1).operation(), "inserted already deleted");
            assertEquals(List.of(2), events.get(1).key());
            assertEquals(Operation.DELETE, events.get(2).operation(), "is_deleted = true");
            assertEquals(List.of(1), events.get(2).key());
            assertEquals(Operation.UPSERT, events.get(3).operation(), "undeleted");
            assertEquals("back", events.get(3).values().get(1));
        }
    }

    @Test
    void confirmedFlushAdvancesOnlyAfterAcknowledgeAndPastIdleWal() {
        db.exec("CREATE TABLE acked (id int PRIMARY KEY)", "CREATE TABLE unrelated (id int PRIMARY KEY, pad text)");
        TableSpec spec = TableSpec.of("acked");
        PgReplication repl = db.replication("acked", Duration.ofMillis(200), 1000);
        Position start = repl.streamStart(List.of(spec));
        long startLsn = (Long) start.get(0);
        assertEquals(startLsn, repl.confirmedFlushLsn(), "a new slot starts at its consistent point");
        TableSchema schema = db.describe(spec);
        try (ChangeStream stream = repl.open(List.of(schema), List.of(spec), start)) {
            db.exec("INSERT INTO acked SELECT generate_series(1, 100)");
            List<ChangeEvent> events = pollUntil(stream, 100, WAIT);
            long commitLsn = (Long) events.get(0).position().get(0);
            assertEquals(1L, events.get(0).position().get(1), "inside the transaction that commits at " + commitLsn);
            // heartbeats go out while polling, but nothing polled is acknowledged yet: the slot may move over
            // WAL before the transaction, never past its commit
            pollFor(stream, Duration.ofSeconds(1));
            assertTrue(repl.confirmedFlushLsn() <= commitLsn, "not advanced past the commit before acknowledge");

            Position last = events.get(events.size() - 1).position();
            assertEquals(0L, last.get(1), "the last event of a complete transaction carries its end LSN");
            stream.acknowledge(last);
            long acked = (Long) last.get(0);
            assertTrue(acked > startLsn);
            waitFor(() -> repl.confirmedFlushLsn() >= acked, "confirmed_flush_lsn reaches the acknowledged LSN");

            // WAL of tables outside the feed: the idle stream moves the slot past it
            db.exec("INSERT INTO unrelated SELECT i, repeat('x', 200) FROM generate_series(1, 2000) i");
            long walAfter = LogSequenceNumber.valueOf(db.queryString("SELECT pg_current_wal_insert_lsn()")).asLong();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (repl.confirmedFlushLsn() < walAfter && System.nanoTime() < deadline) {
                assertEquals(List.of(), stream.poll(Duration.ofMillis(100)));
            }
            assertTrue(repl.confirmedFlushLsn() >= walAfter, "slot advanced past unrelated WAL: "
                    + LogSequenceNumber.valueOf(repl.confirmedFlushLsn()) + " < " + LogSequenceNumber.valueOf(walAfter));
        }
    }

    @Test
    void streamStartCreatesAndReusesPublicationAndSlot() {
        db.exec("CREATE TABLE pa (id int PRIMARY KEY)", "CREATE TABLE pb (id int PRIMARY KEY)",
                "CREATE TABLE nokey (v int)", "CREATE TABLE \"Odd \"\"Name\" (id int PRIMARY KEY)");
        PgReplication repl = db.replication("reuse", Duration.ofSeconds(1), 1000);
        Position first = repl.streamStart(List.of(TableSpec.of("pa")));
        db.exec("INSERT INTO pa VALUES (1)");
        Position second = repl.streamStart(List.of(TableSpec.of("pa"), TableSpec.of("pb"), TableSpec.of("public.Odd \"Name")));
        assertEquals(first, second, "an existing slot resumes at its confirmed position");
        assertEquals("3", db.queryString("SELECT count(*) FROM pg_publication_tables WHERE pubname = '"
                + repl.publicationName() + "'"));
        SyncException e = assertThrows(SyncException.class, () -> repl.streamStart(List.of(TableSpec.of("nokey"))));
        assertTrue(e.getMessage().contains("nokey") && e.getMessage().contains("REPLICA IDENTITY"), e.getMessage());
        SyncException missing = assertThrows(SyncException.class, () -> repl.streamStart(List.of(TableSpec.of("nope"))));
        assertTrue(missing.getMessage().contains("nope"), missing.getMessage());
    }

    // ------------------------------------------------------------------ utilities

    static int comparePositions(Position a, Position b) {
        for (int i = 0; i < 3; i++) {
            int c = Long.compare((Long) a.get(i), (Long) b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    static void waitFor(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting: " + what);
            }
            CdcFixture.sleep(50);
        }
    }
}
