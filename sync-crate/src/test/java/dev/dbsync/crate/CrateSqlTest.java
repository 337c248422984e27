package dev.dbsync.crate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CrateSqlTest {

    private static final CrateTable T = new CrateTable("doc", "orders");

    private static CrateSettings settings(Object... kv) {
        Map<String, Object> raw = new HashMap<>();
        raw.put("url", "crate://localhost");
        for (int i = 0; i < kv.length; i += 2) {
            raw.put((String) kv[i], kv[i + 1]);
        }
        return CrateSettings.sink(raw);
    }

    private static TableSchema everyType() {
        return new TableSchema("orders", List.of(
                Column.required("id", LogicalType.INT64),
                Column.required("s", LogicalType.STRING),
                Column.of("i32", LogicalType.INT32),
                Column.decimal("dec", 12, 2),
                Column.of("f", LogicalType.FLOAT64),
                Column.of("b", LogicalType.BOOLEAN),
                Column.of("bin", LogicalType.BYTES),
                Column.of("u", LogicalType.UUID),
                Column.of("d", LogicalType.DATE),
                Column.of("ts", LogicalType.TIMESTAMP),
                Column.of("tstz", LogicalType.TIMESTAMP_TZ),
                Column.of("j", LogicalType.JSON),
                Column.array("tags", LogicalType.STRING),
                Column.array("nums", LogicalType.INT64),
                Column.array("times", LogicalType.TIMESTAMP_TZ)), List.of("id"));
    }

    @Test
    void identifiersAreDoubleQuotedWithQuotesDoubled() {
        assertEquals("\"orders\"", CrateSql.quote("orders"));
        assertEquals("\"Order Id\"", CrateSql.quote("Order Id"));
        assertEquals("\"we\"\"ird'); --\"", CrateSql.quote("we\"ird'); --"));
        assertEquals("\"x\"\"; DROP TABLE y; --\"", CrateSql.quote("x\"; DROP TABLE y; --"));
        assertEquals("\"select\"", CrateSql.quote("select"));
        assertEquals("\"Ünïcödé\"", CrateSql.quote("Ünïcödé"));
        assertThrows(SyncException.class, () -> CrateSql.quote("a\0b"));
    }

    @Test
    void aHostileColumnNameStaysOneIdentifierInEveryStatement() {
        String hostile = "v\" = 1; DROP TABLE orders; --";
        TableSchema s = new TableSchema("t", List.of(Column.required("id", LogicalType.INT64),
                Column.of(hostile, LogicalType.STRING)), List.of("id"));
        String quoted = "\"v\"\" = 1; DROP TABLE orders; --\"";
        String upsert = CrateSql.upsert(new CrateTable("doc", "t"), s);
        assertEquals("INSERT INTO \"doc\".\"t\" (\"id\", " + quoted + ") VALUES (?, ?) ON CONFLICT (\"id\") DO UPDATE SET "
                + quoted + " = excluded." + quoted, upsert);
        // stripping every well-formed quoted identifier leaves no SQL from the name behind
        String stripped = upsert.replaceAll("\"(?:[^\"]|\"\")*\"", "ID");
        assertEquals("INSERT INTO ID.ID (ID, ID) VALUES (?, ?) ON CONFLICT (ID) DO UPDATE SET ID = excluded.ID", stripped);
        String create = CrateSql.createTable(new CrateTable("doc", "t"), s, settings());
        assertEquals("CREATE TABLE IF NOT EXISTS ID.ID (ID BIGINT, ID TEXT, PRIMARY KEY (ID))",
                create.replaceAll("\"(?:[^\"]|\"\")*\"", "ID"));
    }

    @Test
    void tableNamesAreCheckedAgainstCrateRules() {
        assertNull(CrateSql.tableNameProblem("orders"));
        assertNull(CrateSql.tableNameProblem("Bestellungen_ü"));
        assertTrue(CrateSql.tableNameProblem("_hidden").contains("'_'"));
        assertTrue(CrateSql.tableNameProblem("a b").contains("space"));
        assertTrue(CrateSql.tableNameProblem("a\"b").contains("'\"'"));
        assertTrue(CrateSql.tableNameProblem("a.b").contains("'.'"));
        assertTrue(CrateSql.tableNameProblem("a;b,c").contains("','"));
        assertTrue(CrateSql.tableNameProblem("").contains("empty"));
        assertTrue(CrateSql.tableNameProblem("x".repeat(256)).contains("255"));
        assertNull(CrateSql.columnNameProblem("Order Id"));
        assertNull(CrateSql.columnNameProblem("we\"ird'); --"));
        assertTrue(CrateSql.columnNameProblem("_id").contains("system"));
        assertTrue(CrateSql.columnNameProblem("o['k']").contains("subscript"));
        assertTrue(CrateSql.columnNameProblem("a.b").contains("path"));
    }

    @Test
    void createTableMapsEveryLogicalType() {
        assertEquals("CREATE TABLE IF NOT EXISTS \"doc\".\"orders\" ("
                + "\"id\" BIGINT, \"s\" TEXT NOT NULL, \"i32\" INTEGER, \"dec\" NUMERIC(12, 2), \"f\" DOUBLE PRECISION, "
                + "\"b\" BOOLEAN, \"bin\" TEXT, \"u\" TEXT, \"d\" TIMESTAMP WITHOUT TIME ZONE, "
                + "\"ts\" TIMESTAMP WITHOUT TIME ZONE, \"tstz\" TIMESTAMP WITH TIME ZONE, \"j\" OBJECT(DYNAMIC), "
                + "\"tags\" ARRAY(TEXT), \"nums\" ARRAY(BIGINT), \"times\" ARRAY(TIMESTAMP WITH TIME ZONE), "
                + "PRIMARY KEY (\"id\"))",
                CrateSql.createTable(T, everyType(), settings()));
    }

    @Test
    void createTableWithShardsPartitionsReplicasAndCompositeKey() {
        TableSchema s = new TableSchema("orders", List.of(
                Column.required("tenant", LogicalType.STRING),
                Column.required("id", LogicalType.INT64),
                Column.required("day", LogicalType.TIMESTAMP),
                Column.of("j", LogicalType.JSON)), List.of("tenant", "id", "day"));
        CrateSettings st = settings("shards", 6, "replicas", "0-1", "partition.by", "orders=day,other=x",
                "object.policy", "ignored");
        assertEquals("CREATE TABLE IF NOT EXISTS \"doc\".\"orders\" (\"tenant\" TEXT, \"id\" BIGINT, "
                + "\"day\" TIMESTAMP WITHOUT TIME ZONE, \"j\" OBJECT(IGNORED), PRIMARY KEY (\"tenant\", \"id\", \"day\"))"
                + " CLUSTERED INTO 6 SHARDS PARTITIONED BY (\"day\") WITH (number_of_replicas = '0-1')",
                CrateSql.createTable(T, s, st));
    }

    @Test
    void partitionColumnsMustBelongToTheKey() {
        SyncException e = assertThrows(SyncException.class,
                () -> CrateSql.createTable(T, everyType(), settings("partition.by", "orders=s")));
        assertTrue(e.getMessage().contains("partition.by") && e.getMessage().contains("'s'")
                && e.getMessage().contains("primary key"), e.getMessage());
        SyncException missing = assertThrows(SyncException.class,
                () -> CrateSql.createTable(T, everyType(), settings("partition.by", "orders=nope")));
        assertTrue(missing.getMessage().contains("'nope'"), missing.getMessage());
    }

    @Test
    void replicasCannotCarrySql() {
        assertThrows(ConfigException.class, () -> settings("replicas", "1'); DROP TABLE x; --"));
        assertThrows(ConfigException.class, () -> CrateSettings.checkReplicas("1' OR '1"));
        assertEquals("1-all", CrateSettings.checkReplicas("1-all"));
    }

    @Test
    void columnNamesCrateCannotStoreFailNamingTheColumn() {
        TableSchema s = new TableSchema("t", List.of(Column.required("_id", LogicalType.INT64)), List.of("_id"));
        SyncException e = assertThrows(SyncException.class, () -> CrateSql.createTable(T, s, settings()));
        assertTrue(e.getMessage().contains("'_id'"), e.getMessage());
    }

    @Test
    void decimalMappingFollowsCrateStorageLimits() {
        assertEquals("NUMERIC(38, 10)", CrateSql.decimalType(38, 10, DecimalMapping.NUMERIC));
        assertEquals("TEXT", CrateSql.decimalType(39, 2, DecimalMapping.NUMERIC));
        assertEquals("TEXT", CrateSql.decimalType(0, 0, DecimalMapping.NUMERIC), "unbounded decimals stay exact as text");
        assertEquals("TEXT", CrateSql.decimalType(10, 2, DecimalMapping.TEXT));
        assertEquals("DOUBLE PRECISION", CrateSql.decimalType(10, 2, DecimalMapping.DOUBLE));
        assertEquals("ARRAY(TEXT)", CrateSql.columnType(Column.array("a", LogicalType.DECIMAL), settings()));
        assertEquals("\"dec\" TEXT", CrateSql.createTable(T, everyType(), settings("decimal.mapping", "text"))
                .replaceAll(".*(\"dec\" [A-Z]+).*", "$1"));
    }

    @Test
    void arraysOfDocumentsAreRefusedAtCreation() {
        SyncException e = assertThrows(SyncException.class,
                () -> CrateSql.columnType(Column.array("docs", LogicalType.JSON), settings()));
        assertTrue(e.getMessage().contains("'docs'"), e.getMessage());
    }

    @Test
    void upsertUpdatesEveryNonKeyColumnFromExcludedAndCastsJson() {
        TableSchema s = new TableSchema("orders", List.of(
                Column.required("tenant", LogicalType.STRING),
                Column.required("id", LogicalType.INT64),
                Column.of("total", LogicalType.FLOAT64),
                Column.of("doc", LogicalType.JSON)), List.of("tenant", "id"));
        assertEquals("INSERT INTO \"doc\".\"orders\" (\"tenant\", \"id\", \"total\", \"doc\") VALUES (?, ?, ?, ?::OBJECT)"
                + " ON CONFLICT (\"tenant\", \"id\") DO UPDATE SET \"total\" = excluded.\"total\", \"doc\" = excluded.\"doc\"",
                CrateSql.upsert(T, s));
    }

    @Test
    void upsertOfAKeyOnlyTableDoesNothingOnConflict() {
        TableSchema s = new TableSchema("tags", List.of(Column.required("a", LogicalType.STRING),
                Column.required("b", LogicalType.STRING)), List.of("a", "b"));
        assertEquals("INSERT INTO \"doc\".\"tags\" (\"a\", \"b\") VALUES (?, ?) ON CONFLICT (\"a\", \"b\") DO NOTHING",
                CrateSql.upsert(new CrateTable("doc", "tags"), s));
    }

    @Test
    void deleteRefreshAndDeleteAll() {
        TableSchema s = new TableSchema("orders", List.of(Column.required("tenant", LogicalType.STRING),
                Column.required("id", LogicalType.INT64), Column.of("v", LogicalType.STRING)), List.of("tenant", "id"));
        assertEquals("DELETE FROM \"doc\".\"orders\" WHERE \"tenant\" = ? AND \"id\" = ?", CrateSql.deleteByKey(T, s));
        assertEquals("REFRESH TABLE \"doc\".\"orders\"", CrateSql.refresh(T));
        assertEquals("DELETE FROM \"doc\".\"orders\"", CrateSql.deleteAll(T));
        assertEquals("REFRESH TABLE \"my schema\".\"a\"\"b\"", CrateSql.refresh(new CrateTable("my schema", "a\"b")));
    }

    @Test
    void keysetPredicatesAreExpandedBecauseCrateHasNoRowValueComparison() {
        assertEquals("a > ?", CrateSql.keysetAfter(List.of("a")));
        assertEquals("a > ? OR (a = ? AND b > ?)", CrateSql.keysetAfter(List.of("a", "b")));
        assertEquals("a > ? OR (a = ? AND (b > ? OR (b = ? AND c > ?)))", CrateSql.keysetAfter(List.of("a", "b", "c")));
        assertEquals(List.of(1, 1, "x", "x", 9L), CrateSql.keysetParameters(List.of(1, "x", 9L)));
        assertEquals(List.of(5), CrateSql.keysetParameters(List.of(5)));
    }

    @Test
    void snapshotQueries() {
        TableSchema s = new TableSchema("orders", List.of(Column.required("tenant", LogicalType.STRING),
                Column.required("id", LogicalType.INT64), Column.of("v", LogicalType.STRING)), List.of("tenant", "id"));
        assertEquals("SELECT \"tenant\", \"id\", \"v\" FROM \"doc\".\"orders\" ORDER BY \"tenant\", \"id\" LIMIT ?",
                CrateSql.snapshotQuery(T, s, false));
        assertEquals("SELECT \"tenant\", \"id\", \"v\" FROM \"doc\".\"orders\" WHERE \"tenant\" > ? OR (\"tenant\" = ? AND \"id\" > ?)"
                + " ORDER BY \"tenant\", \"id\" LIMIT ?", CrateSql.snapshotQuery(T, s, true));
    }

    @Test
    void changesQueriesOrderByCursorThenKey() {
        TableSchema s = new TableSchema("orders", List.of(Column.required("id", LogicalType.INT64),
                Column.of("updated_at", LogicalType.TIMESTAMP_TZ), Column.of("created_at", LogicalType.TIMESTAMP_TZ)),
                List.of("id"));
        String cols = "SELECT \"id\", \"updated_at\", \"created_at\", \"updated_at\" FROM \"doc\".\"orders\" WHERE ";
        String order = " ORDER BY \"updated_at\", \"id\" LIMIT ?";
        List<String> cursor = List.of("updated_at");
        assertEquals(cols + "\"updated_at\" IS NOT NULL" + order,
                CrateSql.changesQuery(T, s, cursor, CrateSql.ChangesFrom.BEGINNING, false));
        assertEquals(cols + "\"updated_at\" >= ?" + order,
                CrateSql.changesQuery(T, s, cursor, CrateSql.ChangesFrom.CURSOR_AT_LEAST, false));
        assertEquals(cols + "\"updated_at\" IS NOT NULL AND (\"updated_at\" > ? OR (\"updated_at\" = ? AND \"id\" > ?))" + order,
                CrateSql.changesQuery(T, s, cursor, CrateSql.ChangesFrom.AFTER_ROW, false));
        assertEquals(cols + "\"updated_at\" >= ? AND \"updated_at\" < ?" + order,
                CrateSql.changesQuery(T, s, cursor, CrateSql.ChangesFrom.CURSOR_AT_LEAST, true));
        String coalesce = CrateSql.changesQuery(T, s, List.of("updated_at", "created_at"), CrateSql.ChangesFrom.AFTER_ROW, true);
        assertEquals("SELECT \"id\", \"updated_at\", \"created_at\", COALESCE(\"updated_at\", \"created_at\") FROM \"doc\".\"orders\""
                + " WHERE COALESCE(\"updated_at\", \"created_at\") IS NOT NULL AND (COALESCE(\"updated_at\", \"created_at\") > ?"
                + " OR (COALESCE(\"updated_at\", \"created_at\") = ? AND \"id\" > ?))"
                + " AND COALESCE(\"updated_at\", \"created_at\") < ?"
                + " ORDER BY COALESCE(\"updated_at\", \"created_at\"), \"id\" LIMIT ?", coalesce);
        assertEquals("SELECT MAX(COALESCE(\"updated_at\", \"created_at\")) FROM \"doc\".\"orders\"",
                CrateSql.maxCursor(T, List.of("updated_at", "created_at")));
    }

    @Test
    void catalogQueriesTakeNamesAsParameters() {
        for (String sql : List.of(CrateSql.describeColumns(), CrateSql.describeKey(), CrateSql.listTables(), CrateSql.estimateRows())) {
            assertNotNull(sql);
            assertTrue(sql.contains("table_schema = ?") || sql.contains("schema_name = ?"), sql);
        }
        assertEquals("SELECT SUM(num_docs) FROM sys.shards WHERE schema_name = ? AND table_name = ? AND \"primary\" = TRUE",
                CrateSql.estimateRows());
    }

    @Test
    void tableNamesResolveAgainstTheDefaultSchema() {
        assertEquals(new CrateTable("doc", "orders"), CrateTable.parse("orders", "doc"));
        assertEquals(new CrateTable("shop", "orders"), CrateTable.parse("shop.orders", "doc"));
        assertEquals("shop.orders", CrateTable.parse("shop.orders", "doc").toString());
    }
}
