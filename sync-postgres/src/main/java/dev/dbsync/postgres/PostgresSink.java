package dev.dbsync.postgres;

import static java.util.Objects.requireNonNull;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigDecimal;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes batches into PostgreSQL tables.
 *
 * <p>Each {@link #open} gives a writer with its own connection and staging table. Per batch, in one
 * transaction on that connection: the batch's last change per key is copied with {@code COPY … FROM STDIN}
 * into a temporary staging table ({@code ON COMMIT DELETE ROWS}), then
 * {@code DELETE … WHERE (key) IN (staged deletes)} and {@code INSERT … SELECT staged upserts ON CONFLICT (key)
 * DO UPDATE}; with a checkpoint table configured, the batch's checkpoint is written in the same transaction
 * after its lease's fencing token is checked. Writing a batch again gives the same table, so replays are
 * harmless. Every write commits, so a writer buffers nothing and its flush has nothing to do.
 * Batches of at least 1,000 upserts and nothing else are first copied straight into the target, so a snapshot
 * into an empty table runs at raw COPY speed with no staging; a key the table holds already (or twice in the
 * batch) makes the COPY fail, and the transaction is rolled back and the staged upsert applies the batch instead
 * (see {@code tryDirect}). Both COPYs use PostgreSQL's binary format when every column's type in the table is
 * one whose binary form this class writes exactly ({@link Binary}), text otherwise; a value that does not fit its
 * column's binary form (e.g. a numeric string for an integer column, which the server's text input accepts) sends
 * the batch again as text, and that COPY stays text. Rows are streamed to the server while they are encoded.
 *
 * <p>{@link #open} creates a missing table from the schema (types from {@link PgTypes#ddlType}, primary key
 * from the schema's key), adds missing columns to an existing one, and checks that an existing table has a
 * primary key or unique index on exactly the key columns (which {@code ON CONFLICT} needs).
 *
 * <p>Threading: each writer has its own connection and staging table, so different tables may be written
 * from different threads at once. Identifiers are always quoted.
 */
final class PostgresSink implements Sink {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresSink.class);

    /** Marks each staged row as an upsert ('U') or a delete ('D'); no target column may have this name. */
    static final String OP_COLUMN = "__dbsync_op";
    private static final String STAGE = "pg_temp.\"dbsync_stage\"";
    private static final Pattern COPY_LINE = Pattern.compile("COPY \"?[^,]*\"?, line (\\d+)");
    /** Smallest all-upsert batch for which the direct COPY is tried. */
    private static final int DIRECT_MIN_ROWS = 1000;
    private static final int DIRECT_PAUSE_BATCHES = 16;

    private final PgConnectionFactory factory;
    private final String schemaName;
    private final boolean autoCreate;
    private final PgCheckpointStore checkpoints;
    private final Set<Writer> writers = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * @param schemaName      schema of target tables whose names have no schema part
     * @param autoCreate      create missing tables and columns
     * @param checkpointTable name of the checkpoint table kept in the target (in {@code schemaName}), or
     *                        null for none
     */
    PostgresSink(PgConnectionFactory factory, String schemaName, boolean autoCreate, String checkpointTable) {
        this.factory = requireNonNull(factory, "factory is null");
        this.schemaName = requireNonNull(schemaName, "schemaName is null");
        this.autoCreate = autoCreate;
        this.checkpoints = checkpointTable == null ? null
                : new PgCheckpointStore(factory, new PgName(schemaName, checkpointTable));
    }

    @Override
    public Set<SinkCapability> capabilities() {
        EnumSet<SinkCapability> caps = EnumSet.of(SinkCapability.DELETE, SinkCapability.TRUNCATE, SinkCapability.TRANSACTIONS,
                SinkCapability.REPLACE);
        if (autoCreate) {
            caps.add(SinkCapability.AUTO_CREATE);
        }
        if (checkpoints != null) {
            caps.add(SinkCapability.CHECKPOINT_STORE);
        }
        return caps;
    }

    @Override
    public Optional<CheckpointStore> checkpointStore() {
        return Optional.ofNullable(checkpoints);
    }

    @Override
    public Set<dev.dbsync.spi.LogicalType> supportedTypes() {
        EnumSet<LogicalType> types = EnumSet.copyOf(LogicalType.CORE);
        types.add(LogicalType.TIME);
        return types;
    }

    @Override
    public TableWriter open(TableSchema schema) {
        Writer w = new Writer(target(schema.name()));
        w.open(schema);
        writers.add(w);
        return w;
    }

    private PgName target(String name) {
        try {
            return PgName.parse(name, schemaName);
        } catch (IllegalArgumentException e) {
            throw new SyncException(ErrorType.CONFIG, "target table name: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        for (Writer w : writers) {
            w.closeConnection();
        }
        writers.clear();
        if (checkpoints != null) {
            checkpoints.close();
        }
    }

    @Override
    public String toString() {
        return "PostgresSink[" + factory.url() + ", schema " + schemaName + "]";
    }

    /** The writer of one target table: its connection, staging table and statements. */
    private final class Writer implements TableWriter {
        private final PgName target;
        /** Where writes go: the target, or its replacement while a fresh snapshot is loaded aside. */
        private PgName into;
        private TableSchema schema;
        private Connection conn;
        private String copySql;
        private String directCopySql;
        private String directBinarySql;
        /**
         * How each column is sent in binary COPY, or null while the direct path sends text: the table has a column
         * whose type this sink does not encode exactly, or a value did not fit its column's binary form.
         */
        private Binary[] binary;
        /**
         * The storage file of the table when {@link #binary} was decided: a column's type cannot change without
         * rewriting the table (except to a type of the same binary form), so while it stays the same, so do the
         * types the binary rows were encoded for.
         */
        private long relfilenode;
        private String fileSql;
        /** How each column is sent in the binary staging COPY, or null while it sends text. */
        private Binary[] stagedBinary;
        private String stageBinarySql;
        private String lockAndFileSql;
        /** Batches left before the direct COPY is tried again after it met an existing key. */
        private int directPause;
        private String upsertSql;
        private String deleteSql;
        private int[] keyIdx;
        private LogicalType[] types;
        private LogicalType[] elementTypes;
        private final CopyBuffer out = new CopyBuffer();
        /** Values rendered by {@link PgTypes#appendText} before they are escaped into {@link #out}. */
        private StringBuilder scratch = new StringBuilder(256);

        Writer(PgName target) {
            this.target = target;
            this.into = target;
        }

        /** The replacement's name: the target's with a suffix, cut to PostgreSQL's 63 bytes. */
        private PgName replacementName() {
            String suffix = "__dbsync_new";
            String base = target.table();
            while (base.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + suffix.length() > 63) {
                base = base.substring(0, base.length() - 1);
            }
            return new PgName(target.schema(), base + suffix);
        }

        @Override
        public synchronized void beginReplacement() {
            PgName r = replacementName();
            try {
                connect();
                try (Statement st = conn.createStatement()) {
                    st.execute("DROP TABLE IF EXISTS " + r.sql());
                    st.execute("CREATE TABLE " + r.sql() + " (LIKE " + target.sql() + " INCLUDING ALL)");
                }
                conn.commit();
                into = r;
                prepareStatements(schema);
            } catch (SQLException e) {
                rollbackQuietly();
                throw PgErrors.map(e, "creating the replacement " + r + " of " + where());
            }
        }

        @Override
        public synchronized boolean resumeReplacement() {
            PgName r = replacementName();
            try {
                connect();
                boolean exists;
                try (PreparedStatement ps = conn.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
                    ps.setString(1, r.sql());
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        exists = rs.getBoolean(1);
                    }
                }
                conn.commit();
                if (exists) {
                    into = r;
                    prepareStatements(schema);
                }
                return exists;
            } catch (SQLException e) {
                rollbackQuietly();
                throw PgErrors.map(e, "looking for the replacement " + r + " of " + where());
            }
        }

        /**
         * Replaces the target's rows with the replacement's in one transaction (readers wait, then see the new
         * rows; views and grants on the target stay, since the table itself stays), and drops the replacement.
         */
        @Override
        public synchronized void commitReplacement() {
            PgName r = into;
            if (r.equals(target)) {
                throw new IllegalStateException("no replacement of " + where() + " is being loaded");
            }
            String cols = list(schema.columnNames());
            try {
                connect();
                try (Statement st = conn.createStatement()) {
                    st.execute("TRUNCATE " + target.sql());
                    st.execute("INSERT INTO " + target.sql() + " (" + cols + ") SELECT " + cols + " FROM " + r.sql());
                    st.execute("DROP TABLE " + r.sql());
                }
                conn.commit();
                into = target;
                prepareStatements(schema);
            } catch (SQLException e) {
                rollbackQuietly();
                throw PgErrors.map(e, "swapping the replacement " + r + " into " + where());
            }
        }

        private String where() {
            return "table '" + target + "'";
        }

        void open(TableSchema s) {
            if (s.columns().stream().anyMatch(c -> c.name().equals(OP_COLUMN))) {
                throw new SyncException(ErrorType.CONFIG, where() + ": column name " + OP_COLUMN + " is reserved by the sink");
            }
            try {
                connect();
                try {
                    prepareTable(s);
                } catch (SQLException race) {
                    // another writer (a second process, a parallel Connect task) created the table or its type at the
                    // same moment: CREATE … IF NOT EXISTS then fails on the catalog's unique index; the table exists now
                    if (!"23505".equals(race.getSQLState()) && !"42P07".equals(race.getSQLState())) {
                        throw race;
                    }
                    rollbackQuietly();
                    prepareTable(s);
                }
                prepareStatements(s);
                if (checkpoints != null) {
                    // created here, never in the middle of a batch's transaction
                    checkpoints.ensureTable();
                }
                schema = s;
            } catch (SQLException e) {
                rollbackQuietly();
                closeConnection();
                throw PgErrors.map(e, "opening target " + where());
            }
        }

        private void connect() throws SQLException {
            if (conn == null || conn.isClosed()) {
                conn = factory.open();
                PgConnections.prepare(conn);
                conn.setAutoCommit(false);
            }
        }

        private void prepareTable(TableSchema s) throws SQLException {
            Map<String, String> existing = columns();
            if (existing.isEmpty()) {
                if (!autoCreate) {
                    throw new SyncException(ErrorType.CONFIG, where() + " does not exist and auto.create is off");
                }
                StringBuilder ddl = new StringBuilder("CREATE TABLE IF NOT EXISTS ").append(target.sql()).append(" (");
                for (Column c : s.columns()) {
                    ddl.append(PgName.quote(c.name())).append(' ').append(PgTypes.ddlType(c))
                            .append(c.nullable() && !s.primaryKey().contains(c.name()) ? "" : " NOT NULL").append(", ");
                }
                ddl.append("PRIMARY KEY (").append(list(s.primaryKey())).append("))");
                PgConnections.ensureSchema(conn, target.schema());
                try (Statement st = conn.createStatement()) {
                    st.execute(ddl.toString());
                }
                conn.commit();
                LOG.info("created target table {}", target);
                return;
            }
            List<Column> missing = new ArrayList<>();
            for (Column c : s.columns()) {
                if (!existing.containsKey(c.name())) {
                    missing.add(c);
                }
            }
            if (!missing.isEmpty()) {
                if (!autoCreate) {
                    List<String> names = new ArrayList<>();
                    missing.forEach(c -> names.add(c.name()));
                    throw new SyncException(ErrorType.CONFIG, where() + " lacks the columns " + names + " of the source;"
                            + " add them or enable auto.create");
                }
                try (Statement st = conn.createStatement()) {
                    for (Column c : missing) {
                        st.execute("ALTER TABLE " + target.sql() + " ADD COLUMN IF NOT EXISTS " + PgName.quote(c.name())
                                + ' ' + PgTypes.ddlType(c));
                        LOG.info("added column {} to target table {}", c.name(), target);
                    }
                }
                conn.commit();
            }
            if (!hasUniqueIndexOn(s.primaryKey())) {
                throw new SyncException(ErrorType.CONFIG, where() + " has no primary key or unique index on exactly the key columns "
                        + s.primaryKey() + "; the sink's upsert (INSERT … ON CONFLICT) needs one");
            }
        }

        /** Column name → type of the existing target table; empty when it does not exist. */
        private Map<String, String> columns() throws SQLException {
            Map<String, String> out = new HashMap<>();
            try (PreparedStatement ps = conn.prepareStatement("SELECT a.attname, format_type(a.atttypid, a.atttypmod)"
                    + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                    + " WHERE n.nspname = ? AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped")) {
                ps.setString(1, target.schema());
                ps.setString(2, target.table());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getString(1), rs.getString(2));
                    }
                }
            }
            conn.commit();
            return out;
        }

        private boolean hasUniqueIndexOn(List<String> key) throws SQLException {
            try (PreparedStatement ps = conn.prepareStatement("SELECT array_agg(a.attname::text) FROM pg_index i"
                    + " JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                    + " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)"
                    + " WHERE n.nspname = ? AND c.relname = ? AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL"
                    + " GROUP BY i.indexrelid")) {
                ps.setString(1, target.schema());
                ps.setString(2, target.table());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Set<Object> cols = new HashSet<>(List.of((Object[]) rs.getArray(1).getArray()));
                        if (cols.equals(new HashSet<>(key))) {
                            conn.commit();
                            return true;
                        }
                    }
                }
            }
            conn.commit();
            return false;
        }

        private void prepareStatements(TableSchema s) throws SQLException {
            String cols = list(s.columnNames());
            try (Statement st = conn.createStatement()) {
                st.execute("DROP TABLE IF EXISTS " + STAGE);
                st.execute("CREATE TEMP TABLE \"dbsync_stage\" ON COMMIT DELETE ROWS AS SELECT " + cols
                        + ", NULL::\"char\" AS " + PgName.quote(OP_COLUMN) + " FROM " + target.sql() + " WITH NO DATA");
            }
            conn.commit();
            copySql = "COPY " + STAGE + " (" + cols + ", " + PgName.quote(OP_COLUMN) + ") FROM STDIN";
            directCopySql = "COPY " + into.sql() + " (" + cols + ") FROM STDIN";
            directBinarySql = directCopySql + " (FORMAT binary)";
            fileSql = "SELECT relfilenode FROM pg_class WHERE oid = " + PgName.literal(into.sql()) + "::regclass";
            lockAndFileSql = "LOCK TABLE " + into.sql() + " IN ROW EXCLUSIVE MODE; " + fileSql;
            // the file before the types: a rewrite between the two looks to the next batch like one after them
            try (Statement st = conn.createStatement()) {
                relfilenode = fileOf(st, fileSql);
            }
            conn.commit();
            binary = binaryKinds(s, columns());
            stagedBinary = binaryKinds(s, stageColumns());
            stageBinarySql = copySql + " (FORMAT binary)";
            String keys = list(s.primaryKey());
            StringBuilder up = new StringBuilder("INSERT INTO ").append(into.sql()).append(" AS t (").append(cols)
                    .append(") SELECT ").append(cols).append(" FROM ").append(STAGE).append(" WHERE ")
                    .append(PgName.quote(OP_COLUMN)).append(" = 'U' ON CONFLICT (").append(keys).append(") DO ");
            List<String> nonKey = new ArrayList<>();
            for (String c : s.columnNames()) {
                if (!s.primaryKey().contains(c)) {
                    nonKey.add(c);
                }
            }
            if (nonKey.isEmpty()) {
                up.append("NOTHING");
            } else {
                up.append("UPDATE SET ");
                for (int i = 0; i < nonKey.size(); i++) {
                    String q = PgName.quote(nonKey.get(i));
                    up.append(i == 0 ? "" : ", ").append(q).append(" = EXCLUDED.").append(q);
                }
            }
            upsertSql = up.toString();
            deleteSql = "DELETE FROM " + into.sql() + " WHERE (" + keys + ") IN (SELECT " + keys + " FROM " + STAGE
                    + " WHERE " + PgName.quote(OP_COLUMN) + " = 'D')";
            keyIdx = s.keyIndexes();
            types = new LogicalType[s.columns().size()];
            elementTypes = new LogicalType[types.length];
            for (int i = 0; i < types.length; i++) {
                types[i] = s.columns().get(i).type();
                elementTypes[i] = s.columns().get(i).elementType();
            }
        }

        @Override
        public synchronized WriteResult write(Batch batch) {
            if (schema == null) {
                open(batch.schema());
            }
            List<ChangeEvent> all = batch.events();
            boolean upsertsOnly = true;
            for (int i = 0, size = all.size(); i < size && upsertsOnly; i++) {
                upsertsOnly = all.get(i).operation() == Operation.UPSERT;
            }
            // the rows of the COPY that ran last, so that its "line N" in an error names the event
            List<ChangeEvent> sent = all;
            try {
                connect();
                if (!(upsertsOnly && all.size() >= DIRECT_MIN_ROWS && tryDirect(all))) {
                    sent = batch.latestPerKey();
                    boolean deletes = false;
                    boolean upserts = false;
                    for (ChangeEvent e : sent) {
                        deletes |= e.operation() == Operation.DELETE;
                        upserts |= e.operation() == Operation.UPSERT;
                    }
                    if (deletes || upserts) {
                        copyStaged(sent);
                        try (Statement st = conn.createStatement()) {
                            if (deletes) {
                                st.executeUpdate(deleteSql);
                            }
                            if (upserts) {
                                st.executeUpdate(upsertSql);
                            }
                        }
                    }
                }
                if (checkpoints != null && batch.checkpoint().isPresent()) {
                    checkpoints.writeInTransaction(conn, batch.checkpoint().get());
                }
                conn.commit();
            } catch (SQLException e) {
                rollbackQuietly();
                SyncException mapped = PgErrors.map(e, "writing " + where() + offendingKey(e, sent));
                if (!(mapped instanceof DataException)) {
                    // the connection may be broken; the next write reconnects and rebuilds the staging table
                    closeConnection();
                    schema = null;
                }
                throw mapped;
            } catch (DataException e) {
                // a value the encoder refused, before the server saw its row: the COPY was cancelled, the
                // connection is sound
                rollbackQuietly();
                throw e;
            } catch (RuntimeException e) {
                // e.g. a failure opening the checkpoint store's connection: the transaction holds staged rows that
                // a retry would copy again (duplicate keys in the upsert), so it is rolled back and the connection
                // replaced, whatever the failure was
                rollbackQuietly();
                closeConnection();
                schema = null;
                throw e;
            }
            return WriteResult.applied(batch);
        }

        /**
         * The fast path for batches of upserts (a snapshot into an empty or truncated table): the batch's events
         * as they are, COPYed straight into the target first in the batch's transaction, streamed while they are
         * encoded. If no row conflicts (no key of the batch exists, none occurs twice) the result equals the
         * upsert; if one does (a replay, updates, a key repeated in the batch), the transaction is rolled back and
         * the staged upsert runs instead, and the fast path pauses for a while so update-heavy tables do not pay
         * for it on every batch.
         */
        private boolean tryDirect(List<ChangeEvent> events) throws SQLException {
            if (directPause > 0) {
                directPause--;
                return false;
            }
            // the COPY opens the batch's transaction, so going back to before it is a rollback: no savepoint
            // (no subtransaction, no round trip for it)
            if (binary != null) {
                try (Statement st = conn.createStatement()) {
                    if (fileOf(st, lockAndFileSql) != relfilenode) {
                        LOG.info("{} was rewritten (a column's type changed?) since the writer read its column types;"
                                + " COPY sends text from now on", where());
                        binary = null;
                    }
                }
            }
            try {
                if (binary != null) {
                    String textReason = null;
                    try {
                        copyBinary(directBinarySql, binary, events, false);
                    } catch (NotBinary e) {
                        // a value outside what the binary form says exactly (e.g. a string for a number, which the
                        // server parses in text)
                        textReason = e.getMessage();
                    }
                    if (textReason != null) {
                        // this batch and the later ones go as text, which the server reads whatever the types
                        LOG.debug("{}: {}; COPY sends text from now on", where(), textReason);
                        binary = null;
                        conn.rollback();
                        copy(directCopySql, events, false);
                    }
                } else {
                    copy(directCopySql, events, false);
                }
                return true;
            } catch (SQLException e) {
                if (!"23505".equals(e.getSQLState())) {
                    throw e;
                }
                conn.rollback();
                directPause = DIRECT_PAUSE_BATCHES;
                return false;
            }
        }

        /** The table's storage file, from the result set the statements end with. */
        private long fileOf(Statement st, String sql) throws SQLException {
            boolean rows = st.execute(sql);
            while (!rows) {
                rows = st.getMoreResults();
                if (!rows && st.getUpdateCount() == -1) {
                    throw new SQLException("no relfilenode returned for " + where());
                }
            }
            try (ResultSet rs = st.getResultSet()) {
                rs.next();
                return rs.getLong(1);
            }
        }

        /**
         * Streams the events as COPY text rows: upserts as their values, deletes (staging only) as their key
         * with nulls elsewhere; {@code staged} appends the op column. The buffer is sent whenever it fills, so
         * the server parses one part while the next is encoded.
         */
        private void copy(String sql, List<ChangeEvent> events, boolean staged) throws SQLException {
            CopyIn in = conn.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
            out.start(in);
            try {
                int n = types.length;
                for (int i = 0, size = events.size(); i < size; i++) {
                    ChangeEvent e = events.get(i);
                    if (e.operation() == Operation.UPSERT) {
                        List<Object> values = e.values();
                        if (values.size() != n) {
                            throw new DataException(where() + ", key " + e.keyText() + ": the event has " + values.size()
                                    + " values but the table has " + n + " columns");
                        }
                        for (int c = 0; c < n; c++) {
                            if (c > 0) {
                                out.ascii('\t');
                            }
                            value(e, c, values.get(c));
                        }
                        if (staged) {
                            out.ascii('\t');
                            out.ascii('U');
                        }
                    } else {
                        List<Object> key = e.key();
                        for (int c = 0; c < n; c++) {
                            if (c > 0) {
                                out.ascii('\t');
                            }
                            int ki = indexIn(keyIdx, c);
                            if (ki >= 0) {
                                value(e, c, key.get(ki));
                            } else {
                                out.ascii('\\');
                                out.ascii('N');
                            }
                        }
                        out.ascii('\t');
                        out.ascii('D');
                    }
                    out.ascii('\n');
                }
                out.end();
            } finally {
                out.release();
                if (in.isActive()) {
                    cancelQuietly(in);
                }
            }
        }

        /**
         * The binary form of each column when every column's type in the table is one encoded here exactly
         * (the server's binary input of the type reads what is written); null otherwise.
         */
        private Binary[] binaryKinds(TableSchema s, Map<String, String> existing) {
            Binary[] out = new Binary[s.columns().size()];
            for (int i = 0; i < out.length; i++) {
                Column c = s.columns().get(i);
                out[i] = Binary.of(c.type(), existing.get(c.name()));
                if (out[i] == null) {
                    return null;
                }
            }
            return out;
        }

        /** Column name → type of the staging table, as it was made from the target. */
        private Map<String, String> stageColumns() throws SQLException {
            Map<String, String> out = new HashMap<>();
            try (Statement st = conn.createStatement();
                 ResultSet rs = st.executeQuery("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
                         + " WHERE attrelid = '" + STAGE + "'::regclass AND attnum > 0 AND NOT attisdropped")) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
            conn.commit();
            return out;
        }

        /**
         * The staging COPY, in binary while every value fits its column's binary form (the staging table has the
         * target's column types as they were when it was made), else in text. It opens the batch's transaction (the
         * direct path before it committed nothing), so starting over as text is a rollback.
         */
        private void copyStaged(List<ChangeEvent> events) throws SQLException {
            if (stagedBinary != null) {
                try {
                    copyBinary(stageBinarySql, stagedBinary, events, true);
                    return;
                } catch (NotBinary e) {
                    LOG.debug("{}: {}; the staging COPY sends text from now on", where(), e.getMessage());
                    stagedBinary = null;
                    conn.rollback();
                }
            }
            copy(copySql, events, true);
        }

        /**
         * Streams events in binary COPY format: upserts as their values, deletes (staging only) as their key with
         * nulls elsewhere; {@code staged} adds the op column.
         */
        private void copyBinary(String sql, Binary[] kinds, List<ChangeEvent> events, boolean staged) throws SQLException {
            CopyIn in = conn.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
            out.start(in);
            try {
                out.binaryHeader();
                int n = kinds.length;
                for (int i = 0, size = events.size(); i < size; i++) {
                    ChangeEvent e = events.get(i);
                    boolean upsert = e.operation() == Operation.UPSERT;
                    List<Object> values = upsert ? e.values() : e.key();
                    if (upsert && values.size() != n) {
                        throw new DataException(where() + ", key " + e.keyText() + ": the event has " + values.size()
                                + " values but the table has " + n + " columns");
                    }
                    out.int16(staged ? n + 1 : n);
                    for (int c = 0; c < n; c++) {
                        Object v;
                        if (upsert) {
                            v = values.get(c);
                        } else {
                            int ki = indexIn(keyIdx, c);
                            v = ki >= 0 ? values.get(ki) : null;
                        }
                        if (v == null) {
                            out.int32(-1);
                        } else if (kinds[c] == Binary.JSON) {
                            StringBuilder b = scratch;
                            b.setLength(0);
                            try {
                                PgTypes.appendText(b, types[c], elementTypes[c], v);
                            } catch (IllegalArgumentException ex) {
                                throw new DataException(where() + ", key " + e.keyText() + ", column '"
                                        + schema.columns().get(c).name() + "': " + ex.getMessage(), ex);
                            }
                            out.utf8Field(b, 1);
                        } else {
                            kinds[c].write(out, v);
                        }
                    }
                    if (staged) {
                        // the op column, a "char"
                        out.int32(1);
                        out.int8(upsert ? 'U' : 'D');
                    }
                }
                out.int16(-1);
                out.end();
            } finally {
                out.release();
                if (in.isActive()) {
                    cancelQuietly(in);
                }
            }
        }

        /** Names the key of the row a COPY error points at ("COPY name, line N"). */
        private String offendingKey(SQLException e, List<ChangeEvent> events) {
            Matcher m = COPY_LINE.matcher(String.valueOf(e.getMessage()));
            if (m.find()) {
                int idx = Integer.parseInt(m.group(1)) - 1;
                if (idx >= 0 && idx < events.size()) {
                    return ", key " + events.get(idx).keyText();
                }
            }
            return "";
        }

        private void value(ChangeEvent e, int c, Object v) throws SQLException {
            if (v == null) {
                out.ascii('\\');
                out.ascii('N');
            } else if (v instanceof Long || v instanceof Integer) {
                out.integer(((Number) v).longValue());
            } else if (v instanceof String && types[c] != LogicalType.JSON) {
                out.escaped((String) v);
            } else if (v instanceof Boolean) {
                out.ascii((Boolean) v ? 't' : 'f');
            } else {
                StringBuilder b = scratch;
                b.setLength(0);
                try {
                    PgTypes.appendText(b, types[c], elementTypes[c], v);
                } catch (IllegalArgumentException ex) {
                    throw new DataException(where() + ", key " + e.keyText() + ", column '" + schema.columns().get(c).name()
                            + "': " + ex.getMessage(), ex);
                }
                out.escaped(b);
                if (b.capacity() > 1 << 16) {
                    scratch = new StringBuilder(256);
                }
            }
        }

        /** Every write commits: nothing is buffered. */
        @Override
        public void flush() {
        }

        @Override
        public synchronized void truncate() {
            try {
                connect();
                try (Statement st = conn.createStatement()) {
                    st.execute("TRUNCATE " + into.sql());
                    if (binary != null) {
                        // TRUNCATE gives the table a new file; the types are the same
                        relfilenode = fileOf(st, fileSql);
                    }
                }
                conn.commit();
            } catch (SQLException e) {
                rollbackQuietly();
                throw PgErrors.map(e, "truncating " + where());
            }
        }

        private void rollbackQuietly() {
            try {
                if (conn != null && !conn.isClosed()) {
                    conn.rollback();
                }
            } catch (SQLException ignored) {
                // the connection is broken; it is replaced on the next write
            }
        }

        synchronized void closeConnection() {
            if (conn != null) {
                PgConnections.closeQuietly(conn);
                conn = null;
            }
        }

        @Override
        public void close() {
            closeConnection();
            writers.remove(this);
        }
    }

    /**
     * COPY text rows encoded straight into UTF-8 bytes and sent in parts of {@link #SIZE} bytes as the buffer fills,
     * instead of a whole batch built as a string and converted at the end. Not thread-safe: one per writer.
     */
    static final class CopyBuffer {
        static final int SIZE = 1 << 16;
        private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
        private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
        private final byte[] buf = new byte[SIZE];
        private int pos;
        private CopyIn in;

        void start(CopyIn copy) {
            in = copy;
            pos = 0;
        }

        /** Sends what is left and ends the COPY; its result (or error) is the server's. */
        void end() throws SQLException {
            send();
            in.endCopy();
        }

        void release() {
            in = null;
            pos = 0;
        }

        private void send() throws SQLException {
            if (pos > 0) {
                in.writeToCopy(buf, 0, pos);
                pos = 0;
            }
        }

        private void room(int n) throws SQLException {
            if (pos > SIZE - n) {
                send();
            }
        }

        /** PostgreSQL's binary COPY signature, flags and header extension length. */
        void binaryHeader() throws SQLException {
            bytes(new byte[] {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0}, 0, 11);
            int32(0);
            int32(0);
        }

        void int8(int v) throws SQLException {
            room(1);
            buf[pos++] = (byte) v;
        }

        void int16(int v) throws SQLException {
            room(2);
            buf[pos++] = (byte) (v >> 8);
            buf[pos++] = (byte) v;
        }

        void int32(int v) throws SQLException {
            room(4);
            INT.set(buf, pos, v);
            pos += 4;
        }

        void int64(long v) throws SQLException {
            room(8);
            LONG.set(buf, pos, v);
            pos += 8;
        }

        void bytes(byte[] b, int off, int len) throws SQLException {
            while (len > 0) {
                room(1);
                int n = Math.min(len, SIZE - pos);
                System.arraycopy(b, off, buf, pos, n);
                pos += n;
                off += n;
                len -= n;
            }
        }

        /**
         * A binary field of UTF-8 text, its length first; {@code version} ≥ 0 is a leading version byte (jsonb).
         * The length is filled in once the text is encoded, so the field is encoded whole in the buffer when it
         * fits, and through a byte array when it does not.
         */
        void utf8Field(CharSequence s, int version) throws SQLException {
            int extra = version >= 0 ? 1 : 0;
            int max = 3 * s.length() + extra;
            if (max > SIZE - 4) {
                byte[] b = s.toString().getBytes(StandardCharsets.UTF_8);
                int32(b.length + extra);
                if (extra > 0) {
                    int8(version);
                }
                bytes(b, 0, b.length);
                return;
            }
            room(4 + max);
            int lengthAt = pos;
            pos += 4;
            if (extra > 0) {
                buf[pos++] = (byte) version;
            }
            utf8(s, false);
            INT.set(buf, lengthAt, pos - lengthAt - 4);
        }

        /**
         * A numeric in PostgreSQL's binary form: digit count, weight, sign and display scale, then base-10000
         * digits aligned on the decimal point.
         */
        void numeric(BigDecimal v) throws SQLException {
            if (v.scale() < 0) {
                v = v.setScale(0);
            }
            int scale = v.scale();
            String digits = v.unscaledValue().abs().toString();
            int intLen = digits.length() - scale;
            StringBuilder padded = new StringBuilder(digits.length() + 8);
            if (intLen > 0) {
                padded.append("000", 0, (4 - intLen % 4) % 4).append(digits);
            } else {
                padded.append("0".repeat(-intLen)).append(digits);
            }
            padded.append("000", 0, (4 - scale % 4) % 4);
            int intGroups = intLen > 0 ? (intLen + 3) / 4 : 0;
            int groups = padded.length() / 4;
            short[] g = new short[groups];
            for (int k = 0; k < groups; k++) {
                g[k] = (short) Integer.parseInt(padded, 4 * k, 4 * k + 4, 10);
            }
            int weight = intGroups - 1;
            int from = 0;
            while (from < groups && g[from] == 0) {
                from++;
                weight--;
            }
            int to = groups;
            while (to > from && g[to - 1] == 0) {
                to--;
            }
            int n = to - from;
            if (n == 0) {
                weight = 0;
            }
            int32(8 + 2 * n);
            int16(n);
            int16(weight);
            int16(v.signum() < 0 ? 0x4000 : 0);
            int16(scale);
            for (int i = from; i < to; i++) {
                int16(g[i]);
            }
        }

        void ascii(char ch) throws SQLException {
            if (pos == SIZE) {
                send();
            }
            buf[pos++] = (byte) ch;
        }

        void integer(long v) throws SQLException {
            if (pos > SIZE - 20) {
                send();
            }
            if (v == Long.MIN_VALUE) {
                for (char ch : "-9223372036854775808".toCharArray()) {
                    buf[pos++] = (byte) ch;
                }
                return;
            }
            if (v < 0) {
                buf[pos++] = '-';
                v = -v;
            }
            int digits = 1;
            for (long t = v; t >= 10; t /= 10) {
                digits++;
            }
            for (int i = pos + digits - 1; i >= pos; i--) {
                buf[i] = (byte) ('0' + v % 10);
                v /= 10;
            }
            pos += digits;
        }

        /**
         * The text with COPY's escapes (backslash, newline, carriage return, tab), as UTF-8; an unpaired surrogate
         * becomes '?', as {@link String#getBytes} does.
         */
        void escaped(CharSequence s) throws SQLException {
            utf8(s, true);
        }

        /**
         * Encodes the text as UTF-8; with {@code escape}, COPY text escapes too and the buffer is sent whenever it
         * fills; without, the caller made room for 3 bytes per char.
         */
        private void utf8(CharSequence s, boolean escape) throws SQLException {
            byte[] b = buf;
            for (int i = 0, len = s.length(); i < len; i++) {
                if (escape && pos > SIZE - 4) {
                    send();
                }
                char ch = s.charAt(i);
                if (ch < 0x80) {
                    if (!escape) {
                        b[pos++] = (byte) ch;
                        continue;
                    }
                    switch (ch) {
                        case '\\':
                            b[pos++] = '\\';
                            b[pos++] = '\\';
                            break;
                        case '\n':
                            b[pos++] = '\\';
                            b[pos++] = 'n';
                            break;
                        case '\r':
                            b[pos++] = '\\';
                            b[pos++] = 'r';
                            break;
                        case '\t':
                            b[pos++] = '\\';
                            b[pos++] = 't';
                            break;
                        default:
                            b[pos++] = (byte) ch;
                    }
                } else if (ch < 0x800) {
                    b[pos++] = (byte) (0xc0 | ch >> 6);
                    b[pos++] = (byte) (0x80 | ch & 0x3f);
                } else if (Character.isSurrogate(ch)) {
                    if (Character.isHighSurrogate(ch) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                        int cp = Character.toCodePoint(ch, s.charAt(++i));
                        b[pos++] = (byte) (0xf0 | cp >> 18);
                        b[pos++] = (byte) (0x80 | cp >> 12 & 0x3f);
                        b[pos++] = (byte) (0x80 | cp >> 6 & 0x3f);
                        b[pos++] = (byte) (0x80 | cp & 0x3f);
                    } else {
                        b[pos++] = '?';
                    }
                } else {
                    b[pos++] = (byte) (0xe0 | ch >> 12);
                    b[pos++] = (byte) (0x80 | ch >> 6 & 0x3f);
                    b[pos++] = (byte) (0x80 | ch & 0x3f);
                }
            }
        }
    }

    /** Ends a COPY an exception interrupted; the exception that interrupted it is the one reported. */
    private static void cancelQuietly(CopyIn in) {
        try {
            in.cancelCopy();
        } catch (SQLException ignored) {
            // the server reports the cancelled COPY as an error; the transaction is rolled back by the caller
        }
    }

    /** A value the binary form of its column does not hold exactly; the batch is sent again as text. */
    static final class NotBinary extends RuntimeException {
        NotBinary(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The binary COPY forms this sink writes: a column's logical type and its type in the table must both match,
     * and each value must be of the class that type documents, else {@link NotBinary}.
     */
    enum Binary {
        INT8, INT4, INT2, TEXT, BOOL, NUMERIC, TIMESTAMPTZ, TIMESTAMP, DATE, FLOAT8, UUID, BYTEA, JSON;

        /** Microseconds from 1970 to PostgreSQL's epoch 2000-01-01. */
        private static final long EPOCH_MICROS = 946_684_800_000_000L;
        /** Epoch seconds of 0001-01-01 and of 10000-01-01: times outside are sent as text. */
        private static final long MIN_SECONDS = -62_135_596_800L;
        private static final long MAX_SECONDS = 253_402_300_800L;

        static Binary of(LogicalType type, String pgType) {
            if (pgType == null) {
                return null;
            }
            switch (type) {
                case INT64: return pgType.equals("bigint") ? INT8 : null;
                case INT32: return pgType.equals("integer") ? INT4 : pgType.equals("smallint") ? INT2 : pgType.equals("bigint") ? INT8 : null;
                case STRING:
                    return pgType.equals("text") || pgType.equals("character varying") || pgType.startsWith("character varying(")
                            ? TEXT : null;
                case BOOLEAN: return pgType.equals("boolean") ? BOOL : null;
                case DECIMAL: return pgType.equals("numeric") || pgType.startsWith("numeric(") ? NUMERIC : null;
                case TIMESTAMP_TZ: return pgType.equals("timestamp with time zone") ? TIMESTAMPTZ : null;
                case TIMESTAMP: return pgType.equals("timestamp without time zone") ? TIMESTAMP : null;
                case DATE: return pgType.equals("date") ? DATE : null;
                case FLOAT64: return pgType.equals("double precision") ? FLOAT8 : null;
                case UUID: return pgType.equals("uuid") ? UUID : null;
                case BYTES: return pgType.equals("bytea") ? BYTEA : null;
                case JSON: return pgType.equals("jsonb") ? JSON : null;
                default: return null;
            }
        }

        void write(CopyBuffer out, Object v) throws SQLException {
            switch (this) {
                case INT8:
                    if (v instanceof Long || v instanceof Integer) {
                        out.int32(8);
                        out.int64(((Number) v).longValue());
                        return;
                    }
                    break;
                case INT4:
                case INT2:
                    if (v instanceof Long || v instanceof Integer) {
                        long x = ((Number) v).longValue();
                        if (this == INT4 && x == (int) x) {
                            out.int32(4);
                            out.int32((int) x);
                            return;
                        } else if (this == INT2 && x == (short) x) {
                            out.int32(2);
                            out.int16((int) x);
                            return;
                        }
                    }
                    break;
                case TEXT:
                    if (v instanceof String) {
                        out.utf8Field((String) v, -1);
                        return;
                    }
                    break;
                case BOOL:
                    if (v instanceof Boolean) {
                        out.int32(1);
                        out.int8((Boolean) v ? 1 : 0);
                        return;
                    }
                    break;
                case NUMERIC:
                    // scales beyond PostgreSQL's display scale limit are left to the server's text input
                    if (v instanceof BigDecimal && ((BigDecimal) v).scale() <= 1000) {
                        out.numeric((BigDecimal) v);
                        return;
                    }
                    break;
                case TIMESTAMPTZ:
                    if (v instanceof Instant) {
                        Instant t = (Instant) v;
                        if (micros(t.getEpochSecond(), t.getNano())) {
                            out.int32(8);
                            out.int64(t.getEpochSecond() * 1_000_000L + t.getNano() / 1000 - EPOCH_MICROS);
                            return;
                        }
                    }
                    break;
                case TIMESTAMP:
                    if (v instanceof LocalDateTime) {
                        LocalDateTime t = (LocalDateTime) v;
                        long sec = t.toEpochSecond(ZoneOffset.UTC);
                        if (micros(sec, t.getNano())) {
                            out.int32(8);
                            out.int64(sec * 1_000_000L + t.getNano() / 1000 - EPOCH_MICROS);
                            return;
                        }
                    }
                    break;
                case DATE:
                    if (v instanceof LocalDate) {
                        LocalDate d = (LocalDate) v;
                        if (d.getYear() >= 1 && d.getYear() <= 9999) {
                            out.int32(4);
                            out.int32((int) (d.toEpochDay() - 10_957L));
                            return;
                        }
                    }
                    break;
                case FLOAT8:
                    if (v instanceof Double) {
                        out.int32(8);
                        out.int64(Double.doubleToRawLongBits((Double) v));
                        return;
                    }
                    break;
                case UUID:
                    if (v instanceof java.util.UUID) {
                        java.util.UUID u = (java.util.UUID) v;
                        out.int32(16);
                        out.int64(u.getMostSignificantBits());
                        out.int64(u.getLeastSignificantBits());
                        return;
                    }
                    break;
                case BYTEA:
                    if (v instanceof byte[]) {
                        byte[] b = (byte[]) v;
                        out.int32(b.length);
                        out.bytes(b, 0, b.length);
                        return;
                    }
                    break;
                default:
                    break;
            }
            throw new NotBinary("a " + v.getClass().getSimpleName() + " value for a " + this + " column");
        }

        /**
         * Whether the time is sent in binary: years 1–9999 and whole microseconds (text input rounds finer
         * fractions; the binary form would cut them).
         */
        private static boolean micros(long epochSecond, int nano) {
            return epochSecond >= MIN_SECONDS && epochSecond < MAX_SECONDS && nano % 1000 == 0;
        }
    }

    private static int indexIn(int[] a, int v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        return -1;
    }

    private static String list(List<String> names) {
        StringBuilder sb = new StringBuilder();
        for (String n : names) {
            sb.append(sb.length() == 0 ? "" : ", ").append(PgName.quote(n));
        }
        return sb.toString();
    }
}
