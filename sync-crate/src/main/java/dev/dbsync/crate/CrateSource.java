package dev.dbsync.crate;

import static java.util.Objects.requireNonNull;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads CrateDB tables: snapshots in primary-key order (keyset pagination) and incremental reads in
 * (cursor, key) order. CrateDB has no row-value comparison, so "after (a, b)" is written out as
 * {@code a > ? OR (a = ? AND b > ?)} ({@link CrateSql#keysetAfter}). Searches only see refreshed rows, so every
 * read first runs {@code REFRESH TABLE} (setting {@code refresh.before.read}).
 *
 * <p>Positions: a snapshot event's position is its key; an incremental event's position is its cursor value
 * followed by its key. {@link #changesStart} returns one cursor value alone, meaning "cursor at least this": for
 * a time cursor the safe bound (see {@link #safeBound}), for a number cursor (only with
 * {@code incremental.allow.unsafe.cursor}) the largest value; rows at or above it are read again, which
 * idempotent sinks absorb.
 *
 * <p>Safe bound: incremental reads by a time cursor return only rows whose cursor lies more than
 * {@code incremental.lag} before CrateDB's current time, since rows become visible out of order around
 * refreshes.
 *
 * <p>Threading: every call uses its own connection, so tables can be read from several threads.
 */
final class CrateSource implements Source {

    private static final Logger LOG = LoggerFactory.getLogger(CrateSource.class);
    /** Longest a write statement is waited for by the safe bound. */
    static final Duration MAX_WRITE = Duration.ofMinutes(10);
    private static final java.util.Set<String> STALE_JOBS_WARNED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final CrateSettings settings;
    private final CrateSink.Connector connector;

    CrateSource(CrateSettings settings, CrateSink.Connector connector) {
        this.settings = requireNonNull(settings, "settings is null");
        this.connector = requireNonNull(connector, "connector is null");
    }

    @Override
    public List<String> listTables() {
        try (Connection c = connector.connect(); PreparedStatement ps = c.prepareStatement(CrateSql.listTables())) {
            ps.setString(1, settings.schema());
            List<String> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(settings.schema() + "." + rs.getString(1));
                }
            }
            return out;
        } catch (SQLException e) {
            throw error("listing tables of schema '" + settings.schema() + "'", e);
        }
    }

    @Override
    public TableSchema describe(TableSpec spec) {
        CrateTable table = table(spec);
        List<Column> columns = new ArrayList<>();
        List<String> key = new ArrayList<>();
        try (Connection c = connector.connect()) {
            try (PreparedStatement ps = c.prepareStatement(CrateSql.describeColumns())) {
                ps.setString(1, table.schema());
                ps.setString(2, table.name());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String name = rs.getString(1);
                        if (name.contains("[")) {
                            continue; // a sub-column of an OBJECT, part of its parent's value
                        }
                        columns.add(column(name, rs.getString(2), nullable(rs.getObject(3)),
                                rs.getObject(4) == null ? 0 : rs.getInt(4), rs.getObject(5) == null ? 0 : rs.getInt(5)));
                    }
                }
            }
            if (spec.keyColumns().isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement(CrateSql.describeKey())) {
                    ps.setString(1, table.schema());
                    ps.setString(2, table.name());
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            key.add(rs.getString(1));
                        }
                    }
                }
            } else {
                key.addAll(spec.keyColumns());
            }
        } catch (SQLException e) {
            throw error("describing table " + table, e);
        }
        if (columns.isEmpty()) {
            throw new SyncException(ErrorType.CONFIG, "CrateDB table " + table + " does not exist (or has no columns)");
        }
        if (key.isEmpty()) {
            throw new SyncException(ErrorType.CONFIG, "CrateDB table " + table
                    + " has no primary key; configure key columns for it");
        }
        TableSchema schema;
        try {
            schema = new TableSchema(spec.table(), columns, key);
        } catch (IllegalArgumentException e) {
            throw new SyncException(ErrorType.CONFIG, "CrateDB table " + table + ": " + e.getMessage());
        }
        for (String cursor : spec.cursorColumns()) {
            if (schema.indexOf(cursor) < 0) {
                throw new SyncException(ErrorType.CONFIG, "CrateDB table " + table + " has no cursor column '" + cursor + "'");
            }
        }
        if (spec.softDeleteColumn() != null && schema.indexOf(spec.softDeleteColumn()) < 0) {
            throw new SyncException(ErrorType.CONFIG, "CrateDB table " + table + " has no soft-delete column '"
                    + spec.softDeleteColumn() + "'");
        }
        return schema;
    }

    private static boolean nullable(Object isNullable) {
        if (isNullable instanceof Boolean) {
            return (Boolean) isNullable;
        }
        return isNullable == null || !String.valueOf(isNullable).equalsIgnoreCase("NO")
                && !String.valueOf(isNullable).equalsIgnoreCase("false");
    }

    /** A column from CrateDB's information_schema type name. */
    static Column column(String name, String dataType, boolean nullable, int precision, int scale) {
        String t = dataType.trim().toLowerCase(Locale.ROOT);
        String element = null;
        if (t.endsWith("_array")) {
            element = t.substring(0, t.length() - "_array".length());
        } else if (t.endsWith("[]")) {
            element = t.substring(0, t.length() - 2);
        } else if (t.startsWith("array(") && t.endsWith(")")) {
            element = t.substring("array(".length(), t.length() - 1);
        }
        if (element != null) {
            LogicalType et = scalar(element);
            if (et == LogicalType.JSON || et == LogicalType.DECIMAL) {
                et = LogicalType.STRING; // read as text: no array-of-object or array-of-numeric mapping
            }
            return new Column(name, LogicalType.ARRAY, nullable, 0, 0, et, dataType);
        }
        LogicalType lt = scalar(t);
        return new Column(name, lt, nullable, lt == LogicalType.DECIMAL ? precision : 0,
                lt == LogicalType.DECIMAL ? scale : 0, null, dataType);
    }

    private static LogicalType scalar(String t) {
        if (t.startsWith("numeric") || t.startsWith("decimal")) {
            return LogicalType.DECIMAL;
        }
        if (t.startsWith("object")) {
            return LogicalType.JSON;
        }
        switch (t) {
            case "integer":
            case "int":
            case "int4":
            case "smallint":
            case "short":
            case "int2":
            case "byte":
                return LogicalType.INT32;
            case "bigint":
            case "long":
            case "int8":
                return LogicalType.INT64;
            case "double precision":
            case "double":
            case "real":
            case "float":
                return LogicalType.FLOAT64;
            case "boolean":
                return LogicalType.BOOLEAN;
            case "timestamp with time zone":
            case "timestamptz":
                return LogicalType.TIMESTAMP_TZ;
            case "timestamp without time zone":
            case "timestamp":
                return LogicalType.TIMESTAMP;
            case "uuid":
                return LogicalType.UUID;
            default:
                // text, varchar(n), character(n), ip, geo types, bit(n), intervals: carried as text
                return LogicalType.STRING;
        }
    }

    @Override
    public OptionalLong estimateRows(TableSpec spec) {
        CrateTable table = table(spec);
        try (Connection c = connector.connect(); PreparedStatement ps = c.prepareStatement(CrateSql.estimateRows())) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    long n = rs.getLong(1);
                    return rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(n);
                }
            }
        } catch (SQLException e) {
            // an estimate is only for progress reports
        }
        return OptionalLong.empty();
    }

    @Override
    public Chunk readSnapshot(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        CrateTable table = table(spec);
        boolean hasAfter = after != null && after.size() > 0;
        String sql = CrateSql.snapshotQuery(table, schema, hasAfter);
        List<ChangeEvent> events = new ArrayList<>();
        try (Connection c = connector.connect()) {
            refresh(c, table);
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int p = 1;
                if (hasAfter) {
                    p = bindKeyset(ps, p, keyColumns(schema), after.values());
                }
                ps.setInt(p, maxRows);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Object[] values = readRow(rs, schema);
                        Object[] key = key(schema, values);
                        events.add(event(spec, schema, key, values, version(spec, schema, values), Position.of(key)));
                    }
                }
            }
        } catch (SQLException e) {
            throw error("reading a snapshot of " + table, e);
        }
        Position next = events.isEmpty() ? after : events.get(events.size() - 1).position();
        return new Chunk(events, next, events.size() < maxRows);
    }

    @Override
    public Position changesStart(TableSpec spec, TableSchema schema) {
        Column cursor = requireCursor(spec, schema);
        CrateTable table = table(spec);
        try (Connection c = connector.connect()) {
            if (temporal(cursor)) {
                // "cursor at least the safe bound": whatever becomes visible later lies at or above it
                return Position.of(safeBound(c, table, cursor));
            }
            refresh(c, table);
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery(CrateSql.maxCursor(table, spec.cursorColumns()))) {
                rs.next();
                Object max = CrateValues.read(rs, 1, cursor);
                return max == null ? Position.of() : Position.of(max);
            }
        } catch (SQLException e) {
            throw error("finding the incremental start of " + table, e);
        }
    }

    @Override
    public Chunk readChanges(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        Column cursor = requireCursor(spec, schema);
        CrateTable table = table(spec);
        CrateSql.ChangesFrom from = after == null || after.size() == 0 ? CrateSql.ChangesFrom.BEGINNING
                : after.size() == 1 ? CrateSql.ChangesFrom.CURSOR_AT_LEAST : CrateSql.ChangesFrom.AFTER_ROW;
        boolean bounded = temporal(cursor);
        String sql = CrateSql.changesQuery(table, schema, spec.cursorColumns(), from, bounded);
        List<Column> order = new ArrayList<>();
        order.add(cursor);
        order.addAll(keyColumns(schema));
        List<ChangeEvent> events = new ArrayList<>();
        try (Connection c = connector.connect()) {
            // the bound is taken before the refresh: every write acknowledged by then is made visible by it
            Object bound = bounded ? safeBound(c, table, cursor) : null;
            refresh(c, table);
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int p = 1;
                if (from == CrateSql.ChangesFrom.CURSOR_AT_LEAST) {
                    CrateValues.bindKey(ps, p++, cursor, after.get(0), settings);
                } else if (from == CrateSql.ChangesFrom.AFTER_ROW) {
                    p = bindKeyset(ps, p, order, after.values());
                }
                if (bounded) {
                    CrateValues.bindKey(ps, p++, cursor, bound, settings);
                }
                ps.setInt(p, maxRows);
                int n = schema.columns().size();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Object[] values = readRow(rs, schema);
                        Object cursorValue = CrateValues.read(rs, n + 1, cursor);
                        Object[] key = key(schema, values);
                        Object[] pos = new Object[key.length + 1];
                        pos[0] = cursorValue;
                        System.arraycopy(key, 0, pos, 1, key.length);
                        events.add(event(spec, schema, key, values, versionOf(cursorValue), Position.of(pos)));
                    }
                }
            }
        } catch (SQLException e) {
            throw error("reading changes of " + table, e);
        }
        Position next = events.isEmpty() ? after : events.get(events.size() - 1).position();
        return new Chunk(events, next, events.size() < maxRows);
    }

    /**
     * The safe bound of incremental reads by a time cursor: the earlier of CrateDB's current time and the start
     * of the oldest write statement naming the table still running in the cluster ({@code sys.jobs}; one listed
     * for over {@link #MAX_WRITE} is taken for a stale entry), less {@code incremental.lag}.
     * CrateDB has no transactions to wait for, but a bulk write runs for a while with cursor values taken at its
     * start ({@code CURRENT_TIMESTAMP} is the statement's start), and its rows become visible shard by shard; a
     * row acknowledged but not yet refreshed is made visible by the read's own {@code REFRESH}. Rows are read only
     * below the bound, so one arriving late with a cursor above it is read by a later sync; the lag is the room
     * given to writers whose cursor comes from their own clock, taken before their statement reached CrateDB. CrateDB keeps timestamps of both kinds as UTC, so TIMESTAMP cursors get
     * the bound as UTC date-time.
     */
    private Object safeBound(Connection c, CrateTable table, Column cursor) throws SQLException {
        Instant now;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(CrateSql.currentTime())) {
            rs.next();
            now = CrateValues.readInstant(rs, 1);
        }
        try (PreparedStatement ps = c.prepareStatement(CrateSql.runningWrites())) {
            ps.setString(1, "%" + table.name() + "%");
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Instant started = CrateValues.readInstant(rs, 2);
                    if (started == null || !started.isBefore(now)) {
                        continue;
                    }
                    if (Duration.between(started, now).compareTo(MAX_WRITE) > 0) {
                        // CrateDB can keep a job listed that never ends (seen for a bulk write whose table was
                        // dropped under it): past this age a job no longer holds the bound back
                        if (STALE_JOBS_WARNED.add(rs.getString(1))) {
                            LOG.warn("CrateDB job {} writing {} has been listed as running since {}; incremental reads"
                                    + " of {} no longer wait for it", rs.getString(1), table, started, table);
                        }
                        continue;
                    }
                    now = started;
                }
            }
        }
        Instant bound = now.minus(settings.incrementalLag());
        switch (cursor.type()) {
            case TIMESTAMP:
                return LocalDateTime.ofInstant(bound, ZoneOffset.UTC);
            case DATE:
                return LocalDate.ofInstant(bound, ZoneOffset.UTC);
            default:
                return bound;
        }
    }

    private static boolean temporal(Column cursor) {
        return cursor.type() == LogicalType.TIMESTAMP_TZ || cursor.type() == LogicalType.TIMESTAMP
                || cursor.type() == LogicalType.DATE;
    }

    @Override
    public void close() {
        // connections are opened per call
    }

    // ---------------------------------------------------------------- helpers

    private CrateTable table(TableSpec spec) {
        return CrateTable.parse(spec.table(), settings.schema());
    }

    private void refresh(Connection c, CrateTable table) throws SQLException {
        if (settings.refreshBeforeRead()) {
            try (Statement st = c.createStatement()) {
                st.execute(CrateSql.refresh(table));
            }
        }
    }

    /** The cursor column; refuses tables without one, and non-time cursors unless allowed. */
    private Column requireCursor(TableSpec spec, TableSchema schema) {
        if (!spec.hasCursor()) {
            throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "' has no cursor column; "
                    + "incremental reads need one");
        }
        Column cursor = cursorColumn(spec, schema);
        if (!temporal(cursor) && !settings.allowUnsafeCursor()) {
            throw new ConfigException(CrateSettings.INCREMENTAL_ALLOW_UNSAFE_CURSOR, "table '" + spec.table()
                    + "': cursor column '" + cursor.name() + "' (" + cursor.type() + ") is not a time, so incremental"
                    + " reads have no safe bound: CrateDB makes rows visible at refreshes, shard by shard, so a row"
                    + " with a smaller value can appear after a read passed it and be skipped for good. Use a"
                    + " timestamp cursor set when the row is written, or set "
                    + CrateSettings.INCREMENTAL_ALLOW_UNSAFE_CURSOR + "=true to accept the risk");
        }
        return cursor;
    }

    private static Column cursorColumn(TableSpec spec, TableSchema schema) {
        return schema.column(spec.cursorColumns().get(0));
    }

    private static List<Column> keyColumns(TableSchema schema) {
        List<Column> out = new ArrayList<>();
        for (String k : schema.primaryKey()) {
            out.add(schema.column(k));
        }
        return out;
    }

    private int bindKeyset(PreparedStatement ps, int p, List<Column> columns, List<Object> values) throws SQLException {
        if (values.size() != columns.size()) {
            throw new SyncException(ErrorType.INTERNAL, "position " + values + " does not match columns of size "
                    + columns.size() + "; was the table's key changed?");
        }
        List<Object> params = CrateSql.keysetParameters(values);
        int col = 0;
        for (int i = 0; i < params.size(); i++) {
            // parameters come in pairs (v, v) except the last: map each back to its column
            CrateValues.bindKey(ps, p++, columns.get(col), params.get(i), settings);
            if (col < columns.size() - 1 && i % 2 == 1) {
                col++;
            }
        }
        return p;
    }

    private static Object[] readRow(ResultSet rs, TableSchema schema) throws SQLException {
        List<Column> cols = schema.columns();
        Object[] values = new Object[cols.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = CrateValues.read(rs, i + 1, cols.get(i));
        }
        return values;
    }

    private static Object[] key(TableSchema schema, Object[] values) {
        int[] idx = schema.keyIndexes();
        Object[] key = new Object[idx.length];
        for (int i = 0; i < idx.length; i++) {
            key[i] = values[idx[i]];
        }
        return key;
    }

    private static ChangeEvent event(TableSpec spec, TableSchema schema, Object[] key, Object[] values, long version,
                                     Position position) {
        if (spec.softDeleteColumn() != null) {
            Object marker = values[schema.indexOf(spec.softDeleteColumn())];
            if (marker != null && String.valueOf(marker).equalsIgnoreCase(spec.softDeleteValue())) {
                return ChangeEvent.delete(spec.table(), key, values, version, position);
            }
        }
        return ChangeEvent.upsert(spec.table(), key, values, version, position);
    }

    private static long version(TableSpec spec, TableSchema schema, Object[] values) {
        for (String c : spec.cursorColumns()) {
            Object v = values[schema.indexOf(c)];
            if (v != null) {
                return versionOf(v);
            }
        }
        return 0;
    }

    /** A cursor value as a monotone number: epoch microseconds for times, the value for integers. */
    static long versionOf(Object v) {
        if (v instanceof Instant) {
            Instant i = (Instant) v;
            return ChronoUnit.MICROS.between(Instant.EPOCH, i);
        }
        if (v instanceof LocalDateTime) {
            return ChronoUnit.MICROS.between(Instant.EPOCH, ((LocalDateTime) v).toInstant(ZoneOffset.UTC));
        }
        if (v instanceof LocalDate) {
            return ((LocalDate) v).toEpochDay() * 86_400_000_000L;
        }
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        return 0;
    }

    private static SyncException error(String what, SQLException e) {
        String msg = what + " failed: " + e.getMessage() + " (SQLSTATE " + e.getSQLState() + ")";
        if (BulkResult.blame(e) == BulkResult.Blame.TRANSIENT) {
            return new RetriableException(msg, e);
        }
        return new SyncException(ErrorType.EXTERNAL, msg, e);
    }
}
