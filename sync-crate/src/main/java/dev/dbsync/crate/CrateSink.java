package dev.dbsync.crate;

import static java.util.Objects.requireNonNull;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.WriteResult;
import dev.dbsync.spi.WriteResult.FailedEvent;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes changes into CrateDB through its PostgreSQL wire protocol.
 *
 * <p>CrateDB has no transactions: {@code BEGIN} is ignored and {@code ROLLBACK} is an error, so every statement
 * runs in autocommit and nothing relies on rollback. Upserts ({@code INSERT … ON CONFLICT DO UPDATE}) and deletes
 * by key are idempotent, so a batch that is retried after a partial failure converges to the same rows. Every
 * row's result of a bulk request is read ({@link BulkResult}): failed rows are retried once on their own and then
 * returned as {@link FailedEvent}s. The checkpoint is never written here; the engine saves it in its checkpoint
 * store after {@link #flush()}, which runs {@code REFRESH TABLE} (unless {@code refresh.after.flush=false}) so a
 * query right after a sync sees every row.
 *
 * <p>Threading: each target table has its own connection; different tables may be written from different
 * threads. {@link #flush()} refreshes every table written since the last flush.
 */
final class CrateSink implements Sink {

    private static final Logger LOG = LoggerFactory.getLogger(CrateSink.class);

    /** Opens a connection to CrateDB. */
    @FunctionalInterface
    interface Connector {
        Connection connect() throws SQLException;
    }

    private final CrateSettings settings;
    private final Connector connector;
    private final ConcurrentHashMap<String, TableWriter> writers = new ConcurrentHashMap<>();
    private volatile boolean closed;

    CrateSink(CrateSettings settings, Connector connector) {
        this.settings = requireNonNull(settings, "settings is null");
        this.connector = requireNonNull(connector, "connector is null");
    }

    @Override
    public Set<SinkCapability> capabilities() {
        return EnumSet.of(SinkCapability.DELETE, SinkCapability.TRUNCATE, SinkCapability.AUTO_CREATE);
    }

    @Override
    public void open(TableSchema schema) {
        writer(schema).open(schema);
    }

    @Override
    public WriteResult write(Batch batch) {
        TableWriter w = writer(batch.schema());
        return w.write(batch);
    }

    @Override
    public void flush() {
        for (TableWriter w : writers.values()) {
            w.flush();
        }
    }

    @Override
    public void truncate(TableSchema schema) {
        writer(schema).truncate();
    }

    @Override
    public void close() {
        closed = true;
        for (TableWriter w : writers.values()) {
            w.close();
        }
        writers.clear();
    }

    private TableWriter writer(TableSchema schema) {
        if (closed) {
            throw new IllegalStateException("CrateDB sink is closed");
        }
        return writers.computeIfAbsent(schema.name(), n -> new TableWriter(target(n)));
    }

    private CrateTable target(String name) {
        CrateTable t = CrateTable.parse(name, settings.schema());
        String problem = CrateSql.tableNameProblem(t.name());
        if (problem != null) {
            throw new SyncException(ErrorType.CONFIG, "target table name '" + t.name() + "' " + problem);
        }
        problem = CrateSql.tableNameProblem(t.schema());
        if (problem != null) {
            throw new SyncException(ErrorType.CONFIG, "target schema name '" + t.schema() + "' of table '" + name + "' " + problem);
        }
        return t;
    }

    /** Maps an SQL error of a statement that concerns the whole table. */
    static SyncException tableError(String what, CrateTable table, SQLException e) {
        String msg = what + " of CrateDB table " + table + " failed: " + e.getMessage() + " (SQLSTATE " + e.getSQLState() + ")";
        if (BulkResult.blame(e.getSQLState()) == BulkResult.Blame.TRANSIENT) {
            return new RetriableException(msg, e);
        }
        return new SyncException(ErrorType.EXTERNAL, msg, e);
    }

    /** One target table: its connection, prepared statements and whether it has unrefreshed writes. */
    private final class TableWriter {
        private final CrateTable table;
        private TableSchema schema;
        private Connection conn;
        private PreparedStatement upsert;
        private PreparedStatement delete;
        private boolean dirty;

        TableWriter(CrateTable table) {
            this.table = table;
        }

        synchronized void open(TableSchema newSchema) {
            String ddl = CrateSql.createTable(table, newSchema, settings);
            try {
                Connection c = connection();
                try (Statement st = c.createStatement()) {
                    st.execute(ddl);
                }
                checkColumns(c, newSchema);
            } catch (SQLException e) {
                reset();
                throw tableError("creating", table, e);
            }
            prepare(newSchema);
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

        private void prepare(TableSchema s) {
            closeStatements();
            try {
                Connection c = connection();
                upsert = c.prepareStatement(CrateSql.upsert(table, s));
                delete = c.prepareStatement(CrateSql.deleteByKey(table, s));
                schema = s;
            } catch (SQLException e) {
                reset();
                throw tableError("preparing statements", table, e);
            }
        }

        synchronized WriteResult write(Batch batch) {
            if (schema == null || !schema.equals(batch.schema()) || upsert == null) {
                open(batch.schema());
            }
            List<ChangeEvent> events = batch.latestPerKey();
            List<FailedEvent> failed = new ArrayList<>();
            List<ChangeEvent> upserts = new ArrayList<>();
            List<ChangeEvent> deletes = new ArrayList<>();
            for (ChangeEvent e : events) {
                if (e.operation() == Operation.TRUNCATE) {
                    // latestPerKey keeps a TRUNCATE first and drops every change before it
                    truncateRows();
                } else if (e.operation() == Operation.UPSERT) {
                    upserts.add(e);
                } else {
                    deletes.add(e);
                }
            }
            int size = settings.batchSize();
            for (int i = 0; i < upserts.size(); i += size) {
                run(upsert, upserts.subList(i, Math.min(upserts.size(), i + size)), true, failed);
            }
            for (int i = 0; i < deletes.size(); i += size) {
                run(delete, deletes.subList(i, Math.min(deletes.size(), i + size)), false, failed);
            }
            dirty = true;
            return WriteResult.appliedExcept(batch, failed);
        }

        /** One bulk request, then single retries of the rows it did not confirm. */
        private void run(PreparedStatement ps, List<ChangeEvent> rows, boolean isUpsert, List<FailedEvent> failed) {
            List<ChangeEvent> sent = new ArrayList<>(rows.size());
            try {
                ps.clearBatch();
                for (ChangeEvent e : rows) {
                    String problem = bindRow(ps, e, isUpsert);
                    if (problem != null) {
                        failed.add(new FailedEvent(e, where(e) + ": " + problem, null));
                        continue;
                    }
                    ps.addBatch();
                    sent.add(e);
                }
                if (sent.isEmpty()) {
                    return;
                }
            } catch (SQLException e) {
                reset();
                throw tableError("binding a batch", table, e);
            }
            int[] counts;
            try {
                counts = ps.executeBatch();
            } catch (BatchUpdateException e) {
                rethrowUnlessRowError(e, "bulk " + (isUpsert ? "upsert" : "delete"));
                counts = e.getUpdateCounts();
                LOG.debug("bulk request on {} reported an error; retrying unconfirmed rows one by one: {}", table, e.getMessage());
            } catch (SQLException e) {
                rethrowUnlessRowError(e, "bulk " + (isUpsert ? "upsert" : "delete"));
                counts = null;
            }
            int[] retry = BulkResult.unconfirmed(counts, sent.size());
            if (retry.length > 0) {
                LOG.debug("{}: {} of {} rows not confirmed by the bulk request; retrying them one by one",
                        table, retry.length, sent.size());
            }
            boolean mustWrite = isUpsert && schema.columns().size() > schema.primaryKey().size();
            for (int idx : retry) {
                ChangeEvent e = sent.get(idx);
                try {
                    ps.clearBatch();
                    bindRow(ps, e, isUpsert);
                    int count = ps.executeUpdate();
                    if (BulkResult.retry(count, mustWrite) == BulkResult.Retry.NOT_WRITTEN) {
                        failed.add(new FailedEvent(e, where(e) + ": CrateDB wrote no row for this upsert", null));
                    }
                } catch (SQLException ex) {
                    rethrowUnlessRowError(ex, isUpsert ? "upsert" : "delete");
                    failed.add(new FailedEvent(e, where(e) + ": CrateDB rejected the row: " + ex.getMessage()
                            + " (SQLSTATE " + ex.getSQLState() + ")", ex));
                }
            }
        }

        private void rethrowUnlessRowError(SQLException e, String what) {
            BulkResult.Blame blame = BulkResult.blame(e.getSQLState());
            if (blame != BulkResult.Blame.ROW) {
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
                    if (e.values().size() != cols.size()) {
                        return "the event has " + e.values().size() + " values but the table has " + cols.size() + " columns";
                    }
                    for (int i = 0; i < cols.size(); i++) {
                        CrateValues.bind(ps, i + 1, cols.get(i), e.values().get(i), settings, conn);
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

        synchronized void flush() {
            if (!dirty) {
                return;
            }
            if (settings.refreshAfterFlush()) {
                execute(CrateSql.refresh(table), "refreshing");
            }
            dirty = false;
        }

        synchronized void truncate() {
            truncateRows();
            if (settings.refreshAfterFlush()) {
                execute(CrateSql.refresh(table), "refreshing");
            }
        }

        /** DELETE FROM deletes what a search sees, so rows written but not yet refreshed are refreshed first. */
        private void truncateRows() {
            execute(CrateSql.refresh(table), "refreshing");
            execute(CrateSql.deleteAll(table), "deleting all rows");
            dirty = true;
        }

        private void execute(String sql, String what) {
            try (Statement st = connection().createStatement()) {
                st.execute(sql);
            } catch (SQLException e) {
                reset();
                throw tableError(what, table, e);
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

        synchronized void close() {
            reset();
        }
    }
}
