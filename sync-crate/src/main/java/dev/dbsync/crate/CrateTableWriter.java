package dev.dbsync.crate;

import static java.util.Objects.requireNonNull;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import dev.dbsync.spi.WriteResult.FailedEvent;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one CrateDB table: its own connection, prepared statements and refresh state, so writers of different
 * tables (used from different threads) never refresh, reset or fail each other's work.
 *
 * <p>{@link #write} sends the batch at once as bulk requests (nothing stays buffered in the client): CrateDB
 * acknowledges a bulk row once it is in the shard's translog, which is durable. What a write leaves behind is
 * visibility: rows become searchable only after a refresh. {@link #flush()} runs {@code REFRESH TABLE} when rows
 * were written since the last refresh and the last refresh is at least {@code refresh.interval} old (a refresh
 * per flush of every small batch costs CrateDB a new segment each time); {@link #close()} and
 * {@link #truncate()} always refresh what is pending, so every row of a run is visible when the run ends.
 *
 * <p>Errors: a row rejected in a bulk request is retried on its own; CrateDB's answer then says whether the row
 * is bad ({@link FailedEvent}, dead-lettered), the statement cannot work ({@link SyncException}, stops the
 * table), or the cluster failed ({@link RetriableException}: the engine writes the batch again, which upserts
 * and deletes by key make harmless). See {@link BulkResult#blame}.
 */
final class CrateTableWriter implements TableWriter {

    private static final Logger LOG = LoggerFactory.getLogger(CrateTableWriter.class);

    private final CrateTable table;
    private final CrateSettings settings;
    private final CrateSink.Connector connector;
    private final LongSupplier clock;
    private final Runnable onClose;
    private TableSchema schema;
    private Connection conn;
    private PreparedStatement upsert;
    private PreparedStatement delete;
    /** Rows were written since the last refresh. */
    private boolean unrefreshed;
    private long lastRefreshNanos;
    private boolean closed;

    CrateTableWriter(CrateTable table, TableSchema schema, CrateSettings settings, CrateSink.Connector connector,
                     LongSupplier clock, Runnable onClose) {
        this.table = requireNonNull(table, "table is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.connector = requireNonNull(connector, "connector is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.onClose = requireNonNull(onClose, "onClose is null");
        this.lastRefreshNanos = clock.getAsLong();
        try {
            open(schema);
        } catch (RuntimeException e) {
            reset();
            throw e;
        }
    }

    /** Creates the table if missing, checks it has every column, prepares the statements. */
    private void open(TableSchema newSchema) {
        String ddl = CrateSql.createTable(table, newSchema, settings);
        try {
            Connection c = connection();
            try (Statement st = c.createStatement()) {
                st.execute(ddl);
            }
            checkColumns(c, newSchema);
            closeStatements();
            upsert = c.prepareStatement(CrateSql.upsert(table, newSchema));
            delete = c.prepareStatement(CrateSql.deleteByKey(table, newSchema));
            schema = newSchema;
        } catch (SQLException e) {
            reset();
            throw tableError("creating", table, e);
        }
    }

    /** An existing table must have every column of the schema; CrateDB cannot alter column types later. */
    private void checkColumns(Connection c, TableSchema s) throws SQLException {
        Set<String> present = new LinkedHashSet<>();
        try (PreparedStatement ps = c.prepareStatement(CrateSql.describeColumns())) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    present.add(rs.getString(1));
                }
            }
        }
        List<String> missing = new ArrayList<>();
        for (Column col : s.columns()) {
            if (!present.contains(col.name())) {
                missing.add(col.name());
            }
        }
        if (!missing.isEmpty()) {
            throw new SyncException(ErrorType.CONFIG, "CrateDB table " + table + " exists but lacks columns "
                    + missing + " of the source; add them (ALTER TABLE … ADD COLUMN) or drop the table");
        }
    }

    @Override
    public WriteResult write(Batch batch) {
        checkOpen();
        if (!batch.schema().equals(schema) || upsert == null) {
            open(batch.schema());
        }
        List<ChangeEvent> events = batch.latestPerKey();
        List<FailedEvent> failed = new ArrayList<>();
        // latestPerKey leaves one event per key, so upserts and deletes touch different rows and their order
        // between each other does not matter
        List<ChangeEvent> upserts = new ArrayList<>(events.size());
        List<ChangeEvent> deletes = new ArrayList<>();
        for (ChangeEvent e : events) {
            if (e.operation() == Operation.UPSERT) {
                upserts.add(e);
            } else if (e.operation() == Operation.DELETE) {
                deletes.add(e);
            }
        }
        int size = settings.batchSize();
        for (int i = 0; i < upserts.size(); i += size) {
            run(true, upserts.subList(i, Math.min(upserts.size(), i + size)), failed);
        }
        for (int i = 0; i < deletes.size(); i += size) {
            run(false, deletes.subList(i, Math.min(deletes.size(), i + size)), failed);
        }
        unrefreshed = true;
        return WriteResult.appliedExcept(batch, failed);
    }

    /** One bulk request, then single retries of the rows it did not confirm. */
    private void run(boolean isUpsert, List<ChangeEvent> rows, List<FailedEvent> failed) {
        String what = isUpsert ? "upsert" : "delete";
        PreparedStatement ps = isUpsert ? upsert : delete;
        List<ChangeEvent> sent = new ArrayList<>(rows.size());
        try {
            for (ChangeEvent e : rows) {
                String problem = bindRow(ps, e, isUpsert);
                if (problem != null) {
                    failed.add(new FailedEvent(e, where(e) + ": " + problem, null));
                    continue;
                }
                ps.addBatch();
                sent.add(e);
            }
        } catch (SQLException e) {
            reset();
            throw tableError("binding a bulk " + what, table, e);
        }
        if (sent.isEmpty()) {
            return;
        }
        int[] counts;
        try {
            counts = ps.executeBatch();
        } catch (BatchUpdateException e) {
            rethrowUnlessRowError(e, "bulk " + what);
            counts = e.getUpdateCounts();
            LOG.debug("bulk {} on {} reported an error; retrying unconfirmed rows one by one: {}", what, table, e.getMessage());
        } catch (SQLException e) {
            rethrowUnlessRowError(e, "bulk " + what);
            counts = null;
        }
        int[] retry = BulkResult.unconfirmed(counts, sent.size());
        if (retry.length == 0) {
            return;
        }
        LOG.debug("{}: {} of {} rows not confirmed by the bulk {}; retrying them one by one", table, retry.length,
                sent.size(), what);
        boolean mustWrite = isUpsert && schema.columns().size() > schema.primaryKey().size();
        for (int idx : retry) {
            ChangeEvent e = sent.get(idx);
            int count;
            try {
                ps.clearBatch();
                bindRow(ps, e, isUpsert);
                count = ps.executeUpdate();
            } catch (SQLException ex) {
                rethrowUnlessRowError(ex, what + " of key " + e.keyText());
                failed.add(new FailedEvent(e, where(e) + ": CrateDB rejected the row: " + ex.getMessage()
                        + " (SQLSTATE " + ex.getSQLState() + ")", ex));
                continue;
            }
            if (BulkResult.retry(count, mustWrite) == BulkResult.Retry.NOT_WRITTEN) {
                // no error, no row: not the row's fault as far as anyone can tell; write the batch again later
                throw new RetriableException(where(e) + ": CrateDB confirmed no row for this upsert and reported no error"
                        + " (bulk and single attempt); the batch is written again");
            }
        }
    }

    private void rethrowUnlessRowError(SQLException e, String what) {
        if (BulkResult.blame(e) != BulkResult.Blame.ROW) {
            reset();
            throw tableError(what, table, e);
        }
    }

    private String where(ChangeEvent e) {
        return "CrateDB table " + table + ", key " + e.keyText();
    }

    /** Binds one row; returns what is wrong with its values, or null. */
    private String bindRow(PreparedStatement ps, ChangeEvent e, boolean isUpsert) throws SQLException {
        try {
            if (isUpsert) {
                List<Column> cols = schema.columns();
                List<Object> values = e.values();
                if (values.size() != cols.size()) {
                    return "the event has " + values.size() + " values but the table has " + cols.size() + " columns";
                }
                for (int i = 0; i < cols.size(); i++) {
                    CrateValues.bind(ps, i + 1, cols.get(i), values.get(i), settings, conn);
                }
            } else {
                List<String> key = schema.primaryKey();
                if (e.key().size() != key.size()) {
                    return "the event has " + e.key().size() + " key values but the key is " + key;
                }
                for (int i = 0; i < key.size(); i++) {
                    CrateValues.bind(ps, i + 1, schema.column(key.get(i)), e.key().get(i), settings, conn);
                }
            }
            return null;
        } catch (CrateValues.BadValueException ex) {
            return ex.getMessage();
        }
    }

    @Override
    public void flush() {
        checkOpen();
        if (unrefreshed && settings.refreshAfterFlush()
                && clock.getAsLong() - lastRefreshNanos >= settings.refreshIntervalNanos()) {
            refresh();
        }
    }

    @Override
    public void truncate() {
        checkOpen();
        // DELETE FROM deletes what a search sees, so rows written but not yet visible are refreshed first
        refresh();
        execute(CrateSql.deleteAll(table), "deleting all rows");
        refresh();
    }

    private void refresh() {
        execute(CrateSql.refresh(table), "refreshing");
        unrefreshed = false;
        lastRefreshNanos = clock.getAsLong();
    }

    private void execute(String sql, String what) {
        try (Statement st = connection().createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            reset();
            throw tableError(what, table, e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            if (unrefreshed && settings.refreshAfterFlush()) {
                refresh();
            }
        } finally {
            closed = true;
            reset();
            onClose.run();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the writer of CrateDB table " + table + " is closed");
        }
    }

    private Connection connection() throws SQLException {
        if (conn == null || conn.isClosed()) {
            conn = connector.connect();
            // no transactions in CrateDB: each statement stands alone
            conn.setAutoCommit(true);
        }
        return conn;
    }

    /** Drops the connection after an error, so the next attempt (engine retry) starts clean. */
    private void reset() {
        closeStatements();
        if (conn != null) {
            try {
                conn.close();
            } catch (SQLException ignored) {
                // the connection is being discarded anyway
            }
            conn = null;
        }
    }

    private void closeStatements() {
        for (PreparedStatement ps : new PreparedStatement[] {upsert, delete}) {
            if (ps != null) {
                try {
                    ps.close();
                } catch (SQLException ignored) {
                    // closing a statement of a connection that may be gone
                }
            }
        }
        upsert = null;
        delete = null;
    }

    /** Maps an SQL error of a statement that concerns the whole table. */
    static SyncException tableError(String what, CrateTable table, SQLException e) {
        String msg = what + " of CrateDB table " + table + " failed: " + e.getMessage() + " (SQLSTATE " + e.getSQLState() + ")";
        if (BulkResult.blame(e) == BulkResult.Blame.TRANSIENT) {
            return new RetriableException(msg, e);
        }
        return new SyncException(ErrorType.EXTERNAL, msg, e);
    }
}
