package dev.dbsync.clickhouse;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.ClickHouseServer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Settings and read-back helpers for tests against the test kit's ClickHouse server. */
final class ClickHouseTestSupport {

    private ClickHouseTestSupport() {
    }

    static ClickHouseServer server() {
        return ClickHouseServer.get();
    }

    /** Connection settings of the test server plus {@code extra} (key, value, key, value …). */
    static Map<String, Object> config(Object... extra) {
        ClickHouseServer s = server();
        Map<String, Object> m = new HashMap<>();
        m.put(ClickHouseSettings.URL, s.httpUrl());
        m.put(ClickHouseSettings.USER, s.username());
        m.put(ClickHouseSettings.PASSWORD, s.password());
        m.put(ClickHouseSettings.DATABASE, s.database());
        for (int i = 0; i < extra.length; i += 2) {
            m.put((String) extra[i], extra[i + 1]);
        }
        return m;
    }

    static ClickHouseSettings sinkSettings(Object... extra) {
        return ClickHouseSettings.of(ClickHouseSettings.SINK.parse(config(extra)));
    }

    static ClickHouseSink sink(Object... extra) {
        return new ClickHouseSink(sinkSettings(extra));
    }

    static ChConnection connection() {
        return new ChConnection(sinkSettings());
    }

    /** Live rows (FINAL, deleted ones excluded) of a table the sink wrote, values in the schema's Java types. */
    static List<Map<String, Object>> liveRows(ChConnection conn, TableSchema target, String extraWhere) {
        Map<String, ChType> types = ClickHouseSink.columnTypes(conn, conn.settings().database, target.name());
        List<Column> cols = target.columns();
        RowBinary.Reader[] readers = new RowBinary.Reader[cols.size()];
        for (int i = 0; i < readers.length; i++) {
            readers[i] = RowBinary.reader(types.get(cols.get(i).name()), cols.get(i).type());
        }
        String sql = "SELECT " + Sql.ids(target.columnNames()) + " FROM " + Sql.table(conn.settings().database, target.name())
                + " FINAL WHERE _is_deleted = 0" + (extraWhere == null ? "" : " AND " + extraWhere);
        return conn.query(sql, Map.of(), "test read", in -> {
            ClickHouseSink.skipHeader(in);
            List<Map<String, Object>> out = new ArrayList<>();
            while (in.hasMore()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 0; i < readers.length; i++) {
                    row.put(cols.get(i).name(), readers[i].read(in));
                }
                out.add(row);
            }
            return out;
        });
    }

    /** The first value of the first row of a query, read with the type the server reports. */
    static Object first(ChConnection conn, String sql) {
        return conn.query(sql, Map.of(), "test query", in -> {
            if (!in.hasMore()) {
                return null;
            }
            int n = (int) in.varint();
            for (int i = 0; i < n; i++) {
                in.string();
            }
            ChType type = ChType.parse(in.string());
            for (int i = 1; i < n; i++) {
                in.string();
            }
            return in.hasMore() ? RowBinary.reader(type, type.logical()).read(in) : null;
        });
    }

    /** One number from a query such as {@code SELECT count() …}. */
    static long scalar(ChConnection conn, String sql) {
        return ((Number) first(conn, sql)).longValue();
    }

    /** One value from a query, as text. */
    static String text(ChConnection conn, String sql) {
        return String.valueOf(first(conn, sql));
    }
}
