package dev.dbsync.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.ServerException;
import com.clickhouse.client.api.insert.InsertResponse;
import com.clickhouse.client.api.metadata.TableSchema;
import com.clickhouse.client.api.query.GenericRecord;
import dev.dbsync.testkit.ClickHouseServer;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks that the ClickHouse server of the test kit works with {@code com.clickhouse:client-v2} the way the
 * ClickHouse sink uses it: a ReplacingMergeTree table, RowBinary inserts of POJOs, FINAL reads, JSON functions,
 * server-side query parameters and server errors with their ClickHouse codes.
 */
class ClickHouseServerIT {

    private static final int ROWS = 100_000;
    private static final int UPDATED = 500;  // ids [0, 500) get a second version
    private static final int DELETED = 500;  // ids [500, 1000) get a deleting version
    private static final ZonedDateTime EPOCH = ZonedDateTime.of(2024, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

    private static ClickHouseServer server;
    private static Client client;
    private static String table;

    @BeforeAll
    static void start() {
        long started = System.nanoTime();
        server = ClickHouseServer.get();
        System.out.printf("ClickHouse server: %s (get() took %d ms)%n", server.kind(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        client = newClient(b -> b);
        table = "it_replacing_" + ProcessHandle.current().pid() + "_" + Long.toString(System.nanoTime() & 0xffffff, 36);
        execute("CREATE TABLE " + table + " (\n"
                + "  id Int64,\n"
                + "  seq UInt64,\n"
                + "  name String,\n"
                + "  amount Nullable(Decimal(18, 4)),\n"
                + "  created DateTime64(6, 'UTC'),\n"
                + "  uid UUID,\n"
                + "  tags Array(String),\n"
                + "  payload String,\n"
                + "  version UInt64,\n"
                + "  is_deleted UInt8\n"
                + ") ENGINE = ReplacingMergeTree(version, is_deleted) ORDER BY id");
        TableSchema schema = client.getTableSchema(table, server.database());
        client.register(Row.class, schema);
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            if (table != null) {
                execute("DROP TABLE IF EXISTS " + table);
            }
            client.close();
        }
    }

    @Test
    void rowBinaryInsertAndReadBack() throws Exception {
        List<Row> rows = new ArrayList<>(ROWS);
        for (int i = 0; i < ROWS; i++) {
            rows.add(Row.of(i, 1, false));
        }
        long started = System.nanoTime();
        InsertResponse response = client.insert(table, rows).get(5, TimeUnit.MINUTES);
        long insertMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        System.out.printf("insert of %,d rows (RowBinary via POJOs) took %d ms against %s%n", ROWS, insertMillis,
                server.kind());
        assertEquals(ROWS, response.getWrittenRows());

        List<Row> changes = new ArrayList<>();
        for (int i = 0; i < UPDATED; i++) {
            changes.add(Row.of(i, 2, false));
        }
        for (int i = UPDATED; i < UPDATED + DELETED; i++) {
            changes.add(Row.of(i, 2, true));
        }
        client.insert(table, changes).get(1, TimeUnit.MINUTES);

        assertEquals(ROWS + UPDATED + DELETED, scalarLong("SELECT count() FROM " + table));
        assertEquals(ROWS - DELETED, scalarLong("SELECT count() FROM " + table + " FINAL"));
        assertEquals(0, scalarLong("SELECT count() FROM " + table + " FINAL WHERE id >= " + UPDATED
                + " AND id < " + (UPDATED + DELETED)));
        assertEquals("updated-7", scalarString("SELECT name FROM " + table + " FINAL WHERE id = 7"));

        // exact decimal arithmetic and NULLs over everything the table keeps
        BigDecimal expectedSum = BigDecimal.ZERO;
        long expectedNulls = 0;
        for (int i = 0; i < ROWS; i++) {
            if (i >= UPDATED && i < UPDATED + DELETED) {
                continue;
            }
            BigDecimal amount = Row.of(i, i < UPDATED ? 2 : 1, false).getAmount();
            if (amount == null) {
                expectedNulls++;
            } else {
                expectedSum = expectedSum.add(amount);
            }
        }
        GenericRecord totals = client.queryAll("SELECT sum(amount) AS total, countIf(amount IS NULL) AS nulls FROM "
                + table + " FINAL").get(0);
        BigDecimal total = totals.getBigDecimal("total");
        assertEquals(0, expectedSum.compareTo(total), "sum " + total + " != " + expectedSum);
        assertEquals(expectedNulls, totals.getLong("nulls"));

        assertEquals("city-12345", scalarString("SELECT JSONExtractString(payload, 'address', 'city') FROM "
                + table + " FINAL WHERE id = 12345"));
        assertEquals(ROWS / 7 + 1 - countMultiplesOf7Deleted(), scalarLong("SELECT count() FROM " + table
                + " FINAL WHERE JSONExtractString(payload, 'kind') = 'seven'"));

        // a {name:Type} parameter bound by the server
        List<GenericRecord> found = client.queryAll("SELECT id, seq, name, amount, created, uid, tags, version, "
                + "is_deleted FROM " + table + " FINAL WHERE id = {p:Int64}", Map.of("p", 4242L));
        assertEquals(1, found.size());
        GenericRecord r = found.get(0);
        Row expected = Row.of(4242, 1, false);
        assertEquals(4242L, r.getLong("id"));
        assertEquals(expected.getSeq(), r.getBigInteger("seq"));
        assertEquals(expected.getName(), r.getString("name"));
        assertEquals(0, expected.getAmount().compareTo(r.getBigDecimal("amount")));
        assertEquals(expected.getCreated().toInstant(), r.getZonedDateTime("created").toInstant());
        assertEquals(expected.getUid(), r.getUUID("uid"));
        assertEquals(expected.getTags(), r.getList("tags"));
        assertEquals(1L, r.getLong("version"));
        assertEquals(0, r.getShort("is_deleted"));

        // a NULL comes back as NULL, a string parameter with a quote and a backslash is bound verbatim
        List<GenericRecord> nullRow = client.queryAll("SELECT amount FROM " + table + " FINAL WHERE id = {p:Int64}",
                Map.of("p", 4240L));
        assertFalse(nullRow.get(0).hasValue("amount"));
        assertNull(nullRow.get(0).getObject("amount"));
        assertEquals("it's a \\ test", client.queryAll("SELECT {s:String} AS s", Map.of("s", "it's a \\ test"))
                .get(0).getString("s"));
    }

    @Test
    void compressedRequestsAreAccepted() throws Exception {
        String small = table + "_lz4";
        execute("CREATE TABLE " + small + " AS " + table);
        try {
            TableSchema schema = client.getTableSchema(small, server.database());
            // ClickHouse's own LZ4 block framing (decompress=1), then HTTP Content-Encoding: lz4
            long expected = 0;
            for (Function<Client.Builder, Client.Builder> settings : List.<Function<Client.Builder, Client.Builder>>of(
                    b -> b.compressClientRequest(true),
                    b -> b.compressClientRequest(true).useHttpCompression(true))) {
                try (Client compressing = newClient(settings)) {
                    compressing.register(Row.class, schema);
                    List<Row> rows = new ArrayList<>();
                    for (int i = 0; i < 1000; i++) {
                        rows.add(Row.of(i, 1, false));
                    }
                    assertEquals(1000, compressing.insert(small, rows).get(1, TimeUnit.MINUTES).getWrittenRows());
                    expected += 1000;
                    assertEquals(expected, compressing.queryAll("SELECT count() FROM " + small).get(0).getLong(1));
                }
            }
            assertEquals(2000, scalarLong("SELECT count() FROM " + small));
            assertEquals(1000, scalarLong("SELECT count() FROM " + small + " FINAL"));
            assertEquals(Row.of(999, 1, false).getName(), scalarString("SELECT name FROM " + small
                    + " FINAL WHERE id = 999"));
        } finally {
            execute("DROP TABLE IF EXISTS " + small);
        }
    }

    @Test
    void serverErrorsCarryClickHouseCodes() {
        ServerException unknownTable = serverException("SELECT * FROM no_such_table_for_dbsync");
        assertEquals(60, unknownTable.getCode(), unknownTable::getMessage); // UNKNOWN_TABLE
        assertTrue(unknownTable.getMessage().contains("no_such_table_for_dbsync"), unknownTable::getMessage);

        ServerException syntax = serverException("SELEC 1");
        assertEquals(62, syntax.getCode(), syntax::getMessage); // SYNTAX_ERROR
        assertTrue(syntax.getMessage().contains("Code: 62"), syntax::getMessage);
    }

    private static ServerException serverException(String sql) {
        // client-v2 throws the server's error directly from get(), or wrapped, depending on the call path
        Throwable thrown = assertThrows(Throwable.class, () -> client.query(sql).get(1, TimeUnit.MINUTES).close());
        Throwable cause = thrown;
        while (cause != null && !(cause instanceof ServerException)) {
            cause = cause.getCause();
        }
        assertTrue(cause instanceof ServerException, () -> "not a server error: " + thrown);
        return (ServerException) cause;
    }

    private static long countMultiplesOf7Deleted() {
        long n = 0;
        for (int i = UPDATED; i < UPDATED + DELETED; i++) {
            if (i % 7 == 0) {
                n++;
            }
        }
        return n;
    }

    private static Client newClient(Function<Client.Builder, Client.Builder> settings) {
        Client.Builder builder = new Client.Builder()
                .addEndpoint(server.httpUrl())
                .setUsername(server.username())
                .setPassword(server.password())
                .setDefaultDatabase(server.database());
        return settings.apply(builder).build();
    }

    private static void execute(String sql) {
        try {
            client.query(sql).get(1, TimeUnit.MINUTES).close();
        } catch (Exception e) {
            throw new IllegalStateException("failed: " + sql, e);
        }
    }

    private static long scalarLong(String sql) {
        return client.queryAll(sql).get(0).getLong(1);
    }

    private static String scalarString(String sql) {
        return client.queryAll(sql).get(0).getString(1);
    }

    /** One row of the test table; client-v2 maps its getters to the columns by name. */
    public static final class Row {
        private final long id;
        private final BigInteger seq;
        private final String name;
        private final BigDecimal amount;
        private final ZonedDateTime created;
        private final UUID uid;
        private final List<String> tags;
        private final String payload;
        private final long version;
        private final short isDeleted;

        private Row(long id, BigInteger seq, String name, BigDecimal amount, ZonedDateTime created, UUID uid,
                    List<String> tags, String payload, long version, short isDeleted) {
            this.id = id;
            this.seq = seq;
            this.name = name;
            this.amount = amount;
            this.created = created;
            this.uid = uid;
            this.tags = tags;
            this.payload = payload;
            this.version = version;
            this.isDeleted = isDeleted;
        }

        /** Deterministic content: every value can be recomputed from the id and the version. */
        static Row of(long id, long version, boolean deleted) {
            // above Long.MAX_VALUE, so that UInt64 is really unsigned on the wire
            BigInteger seq = BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.valueOf(id * 3 + 1));
            String name = version > 1 ? "updated-" + id : "name-" + id + "-\t\u00e9\u4e2d";
            BigDecimal amount = id % 10 == 0 ? null : BigDecimal.valueOf(id * 10_007 + version, 4).negate();
            ZonedDateTime created = EPOCH.plus(id * 1_000_003L, ChronoUnit.MICROS);
            UUID uid = new UUID(0x0123456789abcdefL ^ id, id * 31 + version);
            List<String> tags = id % 5 == 0 ? List.of() : List.of("t" + id % 3, "x'y", "line\nbreak");
            String payload = "{\"kind\":\"" + (id % 7 == 0 ? "seven" : "other") + "\",\"address\":{\"city\":\"city-"
                    + id + "\"}}";
            return new Row(id, seq, name, amount, created, uid, tags, payload, version, (short) (deleted ? 1 : 0));
        }

        public long getId() {
            return id;
        }

        public BigInteger getSeq() {
            return seq;
        }

        public String getName() {
            return name;
        }

        public BigDecimal getAmount() {
            return amount;
        }

        public ZonedDateTime getCreated() {
            return created;
        }

        public UUID getUid() {
            return uid;
        }

        public List<String> getTags() {
            return tags;
        }

        public String getPayload() {
            return payload;
        }

        public long getVersion() {
            return version;
        }

        public short getIsDeleted() {
            return isDeleted;
        }
    }
}
