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
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
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
 * Batches of only upserts are first copied straight into the target under a savepoint (the common case
 * of a snapshot into an empty table runs at raw COPY speed); a conflicting key falls back to the staged
 * upsert (see {@code tryDirect}).
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
        /** Batches left before the direct COPY is tried again after it met an existing key. */
        private int directPause;
        private String upsertSql;
        private String deleteSql;
        private int[] keyIdx;
        private LogicalType[] types;
        private LogicalType[] elementTypes;
        private final StringBuilder buf = new StringBuilder(1 << 16);
        private final StringBuilder direct = new StringBuilder(1 << 16);

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
            List<ChangeEvent> events = batch.latestPerKey();
            int start = 0;
            buf.setLength(0);
            int upserts = 0;
            int deletes = 0;
            int n = types.length;
            for (int i = start; i < events.size(); i++) {
                ChangeEvent e = events.get(i);
                if (e.operation() == Operation.UPSERT) {
                    List<Object> values = e.values();
                    if (values.size() != n) {
                        throw new DataException(where() + ", key " + e.keyText() + ": the event has " + values.size()
                                + " values but the table has " + n + " columns");
                    }
                    for (int c = 0; c < n; c++) {
                        appendValue(c, values.get(c));
                        buf.append('\t');
                    }
                    buf.append("U\n");
                    upserts++;
                } else if (e.operation() == Operation.DELETE) {
                    List<Object> key = e.key();
                    for (int c = 0; c < n; c++) {
                        int ki = indexIn(keyIdx, c);
                        if (ki >= 0) {
                            appendValue(c, key.get(ki));
                        } else {
                            buf.append("\\N");
                        }
                        buf.append('\t');
                    }
                    buf.append("D\n");
                    deletes++;
                }
            }
            try {
                connect();
                if (upserts + deletes > 0 && !(deletes == 0 && upserts >= DIRECT_MIN_ROWS && tryDirect())) {
                    copy(copySql, buf);
                    try (Statement st = conn.createStatement()) {
                        if (deletes > 0) {
                            st.executeUpdate(deleteSql);
                        }
                        if (upserts > 0) {
                            st.executeUpdate(upsertSql);
                        }
                    }
                }
                if (checkpoints != null && batch.checkpoint().isPresent()) {
                    checkpoints.writeInTransaction(conn, batch.checkpoint().get());
                }
                conn.commit();
            } catch (SQLException e) {
                rollbackQuietly();
                SyncException mapped = PgErrors.map(e, "writing " + where() + offendingKey(e, events, start));
                if (!(mapped instanceof DataException)) {
                    // the connection may be broken; the next write reconnects and rebuilds the staging table
                    closeConnection();
                    schema = null;
                }
                throw mapped;
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
         * The fast path for batches of inserts (a snapshot into an empty or truncated table): COPY straight
         * into the target inside a savepoint. Each key occurs once in the batch, so if no row conflicts the
         * result equals the upsert; if one does (a replay, or updates), the savepoint is rolled back and the
         * staged upsert runs instead, and the fast path pauses for a while so update-heavy tables do not pay
         * for it on every batch. The staging rows end in the op column, which is cut off here.
         */
        private boolean tryDirect() throws SQLException {
            if (directPause > 0) {
                directPause--;
                return false;
            }
            Savepoint sp = conn.setSavepoint();
            try {
                copy(directCopySql, withoutOpColumn());
                conn.releaseSavepoint(sp);
                return true;
            } catch (SQLException e) {
                if (!"23505".equals(e.getSQLState())) {
                    throw e;
                }
                conn.rollback(sp);
                directPause = DIRECT_PAUSE_BATCHES;
                return false;
            }
        }

        /** The staged text without the trailing op column ("\tU" before each newline). */
        private StringBuilder withoutOpColumn() {
            StringBuilder out = direct;
            out.setLength(0);
            int from = 0;
            for (int i = 0, len = buf.length(); i < len; i++) {
                if (buf.charAt(i) == '\n') {
                    out.append(buf, from, i - 2).append('\n');
                    from = i + 1;
                }
            }
            return out;
        }

        private void copy(String sql, StringBuilder text) throws SQLException {
            byte[] data = text.toString().getBytes(StandardCharsets.UTF_8);
            CopyIn in = conn.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
            try {
                in.writeToCopy(data, 0, data.length);
                in.endCopy();
            } finally {
                if (in.isActive()) {
                    in.cancelCopy();
                }
            }
        }

        /** Names the key of the staged row a COPY error points at ("COPY dbsync_stage, line N"). */
        private String offendingKey(SQLException e, List<ChangeEvent> events, int start) {
            Matcher m = COPY_LINE.matcher(String.valueOf(e.getMessage()));
            if (m.find()) {
                int line = Integer.parseInt(m.group(1));
                int idx = start + line - 1;
                if (idx >= start && idx < events.size()) {
                    return ", key " + events.get(idx).keyText();
                }
            }
            return "";
        }

        private void appendValue(int c, Object v) {
            if (v == null) {
                buf.append("\\N");
                return;
            }
            StringBuilder b = buf;
            if (v instanceof String && types[c] != LogicalType.JSON) {
                String s = (String) v;
                for (int i = 0, len = s.length(); i < len; i++) {
                    appendEscaped(b, s.charAt(i));
                }
                return;
            }
            int from = b.length();
            try {
                PgTypes.appendText(b, types[c], elementTypes[c], v);
            } catch (IllegalArgumentException e) {
                throw new DataException(where() + ", column '" + schema.columns().get(c).name() + "': " + e.getMessage(), e);
            }
            LogicalType t = types[c];
            if (t == LogicalType.STRING || t == LogicalType.JSON || t == LogicalType.ARRAY || t == LogicalType.BYTES) {
                for (int i = from; i < b.length(); i++) {
                    char ch = b.charAt(i);
                    if (ch == '\\' || ch == '\n' || ch == '\r' || ch == '\t') {
                        String raw = b.substring(from);
                        b.setLength(from);
                        for (int k = 0; k < raw.length(); k++) {
                            appendEscaped(b, raw.charAt(k));
                        }
                        return;
                    }
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

    /** COPY text format escaping: backslash, newline, carriage return and tab are written as escapes. */
    private static void appendEscaped(StringBuilder b, char ch) {
        switch (ch) {
            case '\\':
                b.append("\\\\");
                break;
            case '\n':
                b.append("\\n");
                break;
            case '\r':
                b.append("\\r");
                break;
            case '\t':
                b.append("\\t");
                break;
            default:
                b.append(ch);
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
