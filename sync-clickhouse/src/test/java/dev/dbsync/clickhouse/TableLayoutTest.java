package dev.dbsync.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

/** Type mapping and DDL generation, without a server. */
class TableLayoutTest {

    private static ClickHouseSettings settings(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        m.put("url", "http://localhost:8123");
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return ClickHouseSettings.of(ClickHouseSettings.SINK.parse(m));
    }

    private static TableSchema everyType() {
        return new TableSchema("orders", List.of(
                Column.required("id", LogicalType.INT64),
                Column.of("name", LogicalType.STRING),
                Column.required("status", LogicalType.STRING),
                Column.of("qty", LogicalType.INT32),
                Column.decimal("amount", 12, 2),
                new Column("big", LogicalType.DECIMAL, true, 0, 0, null, "numeric"),
                Column.of("ratio", LogicalType.FLOAT64),
                Column.of("ok", LogicalType.BOOLEAN),
                Column.of("raw", LogicalType.BYTES),
                Column.of("uid", LogicalType.UUID),
                Column.of("day", LogicalType.DATE),
                new Column("at", LogicalType.TIMESTAMP, true, 3, 0, null, null),
                Column.required("created_at", LogicalType.TIMESTAMP_TZ),
                Column.of("doc", LogicalType.JSON),
                Column.array("tags", LogicalType.STRING)), List.of("id"));
    }

    @Test
    void everyLogicalTypeHasItsClickHouseType() {
        TableLayout l = new TableLayout(everyType(), settings("low.cardinality", "status"));
        List<String> types = l.types.stream().map(ChType::toString).toList();
        assertEquals(List.of("Int64", "Nullable(String)", "LowCardinality(String)", "Nullable(Int32)",
                "Nullable(Decimal(12, 2))", "Nullable(Decimal(38, 18))", "Nullable(Float64)", "Nullable(Bool)",
                "Nullable(String)", "Nullable(UUID)", "Nullable(Date32)", "Nullable(DateTime64(3, 'UTC'))",
                "DateTime64(6, 'UTC')", "Nullable(String)", "Array(Nullable(String))"), types);
        TableLayout json = new TableLayout(everyType(), settings("json.type", "JSON"));
        assertEquals("JSON", json.types.get(13).toString());
    }

    @Test
    void createTableIsAReplacingMergeTreeOrderedByTheKey() {
        String ddl = new TableLayout(everyType(), settings("database", "analytics")).createTable();
        assertTrue(ddl.startsWith("CREATE TABLE IF NOT EXISTS `analytics`.`orders` (\n  `id` Int64,\n"), ddl);
        assertTrue(ddl.contains("  `_version` UInt64,\n  `_is_deleted` UInt8\n) ENGINE = ReplacingMergeTree(`_version`, `_is_deleted`)\nORDER BY (`id`)"), ddl);
        assertFalse(ddl.contains("PARTITION BY"), ddl);
    }

    @Test
    void partitionOrderEngineAndClusterAreConfigurablePerTable() {
        TableSchema logs = new TableSchema("activity_logs", List.of(
                Column.required("id", LogicalType.INT64),
                Column.required("created_at", LogicalType.TIMESTAMP_TZ),
                Column.of("properties", LogicalType.JSON)), List.of("id"));
        ClickHouseSettings s = settings("partition.by", "activity_logs:toYYYYMM(created_at); other:toYear(x)",
                "order.by", "activity_logs:(created_at, id)",
                "engine", "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', _version, _is_deleted)",
                "on.cluster", "main");
        TableLayout l = new TableLayout(logs, s);
        String ddl = l.createTable();
        assertTrue(ddl.contains("`default`.`activity_logs` ON CLUSTER `main` ("), ddl);
        assertTrue(ddl.contains(") ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', _version, _is_deleted)\n"
                + "PARTITION BY toYYYYMM(created_at)\nORDER BY (created_at, id)"), ddl);
        assertTrue(l.needsRowForDelete, "created_at in the sorting key: a delete must carry it");
        assertEquals("TRUNCATE TABLE IF EXISTS `default`.`activity_logs` ON CLUSTER `main`", l.truncate());
        assertEquals("OPTIMIZE TABLE `default`.`activity_logs` ON CLUSTER `main` FINAL CLEANUP", l.optimizeCleanup());
        assertEquals("CREATE VIEW IF NOT EXISTS `default`.`activity_logs_live` ON CLUSTER `main` AS SELECT `id`, `created_at`, "
                + "`properties` FROM `default`.`activity_logs` FINAL WHERE `_is_deleted` = 0", l.createView());
    }

    @Test
    void anOrderByWithoutTheKeyIsRefusedNamingTheColumn() {
        ConfigException e = assertThrows(ConfigException.class, () -> new TableLayout(everyType(),
                settings("order.by", "orders:(created_at)")));
        assertTrue(e.getMessage().contains("'id'") && e.getMessage().contains("order.by"), e.getMessage());
    }

    @Test
    void columnsCollidingWithTheInternalOnesAreRefusedByName() {
        TableSchema s = new TableSchema("t", List.of(Column.required("id", LogicalType.INT64),
                Column.of("_version", LogicalType.INT64)), List.of("id"));
        SyncException e = assertThrows(SyncException.class, () -> new TableLayout(s, settings()));
        assertTrue(e.getMessage().contains("'_version'") && e.getMessage().contains("'t'"), e.getMessage());
    }

    @Test
    void hostileNamesAreQuotedNotInjected() {
        TableSchema s = new TableSchema("x` (a Int8) ENGINE=Log; DROP TABLE y; --", List.of(
                Column.required("we`ird\\", LogicalType.INT64), Column.of("o'k", LogicalType.STRING)), List.of("we`ird\\"));
        String ddl = new TableLayout(s, settings()).createTable();
        assertTrue(ddl.contains("`default`.`x\\` (a Int8) ENGINE=Log; DROP TABLE y; --` ("), ddl);
        assertTrue(ddl.contains("`we\\`ird\\\\` Int64"), ddl);
        assertTrue(ddl.contains("ORDER BY (`we\\`ird\\\\`)"), ddl);
        assertEquals("'it\\'s \\\\ \\n'", Sql.literal("it's \\ \n"));
    }

    @Test
    void perTableSettingsParseAndReportMistakes() {
        assertEquals(Map.of("a", "toYYYYMM(c)", "b", "x"), ClickHouseSettings.perTable("partition.by", "a:toYYYYMM(c);b: x;"));
        ConfigException e = assertThrows(ConfigException.class, () -> ClickHouseSettings.perTable("partition.by", "a toYYYYMM(c)"));
        assertTrue(e.getMessage().contains("partition.by"), e.getMessage());
        assertThrows(ConfigException.class, () -> settings("engine", "MergeTree"));
    }

    @Test
    void clickHouseTypesParseBackToLogicalColumns() {
        assertEquals(LogicalType.TIMESTAMP_TZ, ChType.parse("Nullable(DateTime64(6, 'UTC'))").logical());
        assertEquals(LogicalType.TIMESTAMP, ChType.parse("DateTime64(3)").logical());
        assertEquals("LowCardinality(Nullable(String))", ChType.parse("LowCardinality(Nullable(String))").toString());
        Column dec = ChType.parse("Decimal(18, 4)").toColumn("d");
        assertEquals(18, dec.precision());
        assertEquals(4, dec.scale());
        assertEquals(LogicalType.INT64, ChType.parse("Array(Int64)").toColumn("a").elementType());
        assertThrows(IllegalArgumentException.class, () -> ChType.parse("Map(String, UInt64)"));
    }
}
