package dev.dbsync.neo4j;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.neo4j.driver.Record;
import org.neo4j.driver.Session;
import org.neo4j.driver.Value;
import org.neo4j.driver.types.TypeSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the nodes of a label as rows of a table named like the label, for pipelines that start in Neo4j.
 *
 * <ul>
 *   <li>Schema: the key is the configured key or the label's uniqueness constraint; columns and their types
 *       are found by sampling nodes ({@code sample.size}): properties of several types become STRING (their text),
 *       INTEGER and FLOAT together become FLOAT64. Properties named {@code _dbsync_…} (kept by the sink) are left
 *       out, and so are placeholder nodes.</li>
 *   <li>Snapshot: keyset pages in key order ({@code WHERE key > $after ORDER BY key LIMIT n}).</li>
 *   <li>Incremental: by a date-time cursor property tie-broken by the key, up to a safe bound: the earlier of
 *       the server's clock and the start of its oldest open transaction, minus {@code incremental.lag}, so a
 *       transaction that stamps its rows and commits late is not skipped.</li>
 *   <li>No change data capture: Neo4j's change feed is an Enterprise Edition feature.</li>
 * </ul>
 */
final class Neo4jSource implements Source {

    private static final Logger LOG = LoggerFactory.getLogger(Neo4jSource.class);
    private static final String INTERNAL_PREFIX = "_dbsync_";
    private static final String PLACEHOLDER = "_dbsync_placeholder";

    private final Neo4jConnection connection;
    private final Duration lag;
    private final boolean allowUnsafeCursor;
    private final int sampleSize;
    private volatile boolean transactionsVisible = true;

    Neo4jSource(Neo4jConnection connection, Duration lag, boolean allowUnsafeCursor, int sampleSize) {
        this.connection = connection;
        this.lag = lag;
        this.allowUnsafeCursor = allowUnsafeCursor;
        this.sampleSize = sampleSize;
    }

    @Override
    public List<String> listTables() {
        try (Session s = connection.session()) {
            List<String> out = new ArrayList<>();
            for (Record r : s.run("CALL db.labels() YIELD label RETURN label ORDER BY label").list()) {
                String l = r.get(0).asString();
                if (!l.equals(Neo4jCheckpointStore.LEASE_LABEL) && !l.equals(Neo4jCheckpointStore.CHECKPOINT_LABEL)
                        && !l.equals(TableDescriptions.LABEL)) {
                    out.add(l);
                }
            }
            return out;
        } catch (RuntimeException e) {
            throw Neo4jConnection.map("list labels", e);
        }
    }

    @Override
    public TableSchema describe(TableSpec spec) {
        TableSchema described = described(spec.table());
        if (described != null) {
            if (!spec.keyColumns().isEmpty()) {
                for (String k : spec.keyColumns()) {
                    requireColumn(spec.table(), described.columns(), k, "key");
                }
                described = new TableSchema(described.name(), described.columns(), spec.keyColumns());
            }
            for (String c : spec.cursorColumns()) {
                requireColumn(spec.table(), described.columns(), c, "cursor");
            }
            if (spec.softDeleteColumn() != null) {
                requireColumn(spec.table(), described.columns(), spec.softDeleteColumn(), "soft-delete");
            }
            return described;
        }
        return sampled(spec);
    }

    /** The columns and key the sink recorded for the label, or null. */
    private TableSchema described(String label) {
        try (Session s = connection.session()) {
            List<Record> r = s.run("MATCH (t:" + TableDescriptions.LABEL + " {label: $l}) RETURN t.schema", Map.of("l", label)).list();
            return r.isEmpty() ? null : TableDescriptions.fromJson(label, r.get(0).get(0).asString());
        } catch (RuntimeException e) {
            throw Neo4jConnection.map("read the description of label " + label, e);
        }
    }

    private TableSchema sampled(TableSpec spec) {
        String label = spec.table();
        List<String> key = spec.keyColumns().isEmpty() ? constraintKey(label) : spec.keyColumns();
        Map<String, LogicalType[]> found = new TreeMap<>();
        try (Session s = connection.session()) {
            List<Record> sample = s.run("MATCH (n:" + Cypher.id(label) + ") WHERE n." + Cypher.id(PLACEHOLDER)
                    + " IS NULL WITH n LIMIT $n RETURN properties(n)", Map.of("n", sampleSize)).list();
            if (sample.isEmpty() && !labelExists(s, label)) {
                throw new SyncException(ErrorType.EXTERNAL, "table '" + label + "': Neo4j at " + connection.url()
                        + " has no nodes labelled " + label);
            }
            for (Record r : sample) {
                for (Map.Entry<String, Value> p : r.get(0).asMap(v -> v).entrySet()) {
                    if (p.getKey().startsWith(INTERNAL_PREFIX)) {
                        continue;
                    }
                    LogicalType[] t = typeOf(p.getValue());
                    found.merge(p.getKey(), t, Neo4jSource::widen);
                }
            }
        } catch (RuntimeException e) {
            throw Neo4jConnection.map("describe label " + label, e);
        }
        List<Column> columns = new ArrayList<>();
        for (String k : key) {
            LogicalType[] t = found.remove(k);
            columns.add(column(k, t == null ? new LogicalType[] {LogicalType.STRING, null} : t, false));
        }
        found.forEach((name, t) -> columns.add(column(name, t, true)));
        for (String c : spec.cursorColumns()) {
            requireColumn(label, columns, c, "cursor");
        }
        if (spec.softDeleteColumn() != null) {
            requireColumn(label, columns, spec.softDeleteColumn(), "soft-delete");
        }
        return new TableSchema(label, columns, key);
    }

    private static Column column(String name, LogicalType[] t, boolean nullable) {
        return new Column(name, t[0], nullable, 0, 0, t[0] == LogicalType.ARRAY ? t[1] : null, null);
    }

    private static void requireColumn(String label, List<Column> columns, String name, String role) {
        if (columns.stream().noneMatch(c -> c.name().equals(name))) {
            throw new SyncException(ErrorType.CONFIG, "table '" + label + "': the " + role + " property '" + name
                    + "' is not a column of label " + label);
        }
    }

    private boolean labelExists(Session s, String label) {
        return s.run("CALL db.labels() YIELD label WHERE label = $l RETURN count(*)", Map.of("l", label)).single().get(0).asLong() > 0;
    }

    private List<String> constraintKey(String label) {
        try (Session s = connection.session()) {
            List<Record> rows = s.run("SHOW CONSTRAINTS YIELD entityType, labelsOrTypes, properties, type "
                    + "WHERE entityType = 'NODE' AND labelsOrTypes = [$l] AND type IN ['UNIQUENESS', 'NODE_KEY', "
                    + "'NODE_PROPERTY_UNIQUENESS'] RETURN properties ORDER BY size(properties)", Map.of("l", label)).list();
            if (rows.isEmpty()) {
                throw new SyncException(ErrorType.CONFIG, "table '" + label + "': label " + label + " has no uniqueness "
                        + "constraint to use as the key; configure key: [property, …] for it");
            }
            return rows.get(0).get(0).asList(Value::asString);
        } catch (SyncException e) {
            throw e;
        } catch (RuntimeException e) {
            throw Neo4jConnection.map("read the constraints of label " + label, e);
        }
    }

    /** The logical type of a property value and, for lists, of their elements. */
    private static LogicalType[] typeOf(Value v) {
        TypeSystem ts = TypeSystem.getDefault();
        if (v.hasType(ts.LIST())) {
            LogicalType element = null;
            for (Value e : v.values()) {
                LogicalType t = typeOf(e)[0];
                element = element == null ? t : widen(new LogicalType[] {element}, new LogicalType[] {t})[0];
            }
            return new LogicalType[] {LogicalType.ARRAY, element == null ? LogicalType.STRING : element};
        }
        LogicalType t;
        if (v.hasType(ts.INTEGER())) {
            t = LogicalType.INT64;
        } else if (v.hasType(ts.FLOAT())) {
            t = LogicalType.FLOAT64;
        } else if (v.hasType(ts.BOOLEAN())) {
            t = LogicalType.BOOLEAN;
        } else if (v.hasType(ts.BYTES())) {
            t = LogicalType.BYTES;
        } else if (v.hasType(ts.DATE())) {
            t = LogicalType.DATE;
        } else if (v.hasType(ts.LOCAL_DATE_TIME())) {
            t = LogicalType.TIMESTAMP;
        } else if (v.hasType(ts.DATE_TIME())) {
            t = LogicalType.TIMESTAMP_TZ;
        } else if (v.hasType(ts.LOCAL_TIME())) {
            t = LogicalType.TIME;
        } else {
            t = LogicalType.STRING; // strings, and durations, points and times with offsets as their text
        }
        return new LogicalType[] {t, null};
    }

    private static LogicalType[] widen(LogicalType[] a, LogicalType[] b) {
        if (a[0] == b[0] && (a[1] == b[1] || a[0] != LogicalType.ARRAY)) {
            return a;
        }
        if (a[0] == LogicalType.ARRAY && b[0] == LogicalType.ARRAY) {
            return new LogicalType[] {LogicalType.ARRAY, LogicalType.STRING};
        }
        if ((a[0] == LogicalType.INT64 || a[0] == LogicalType.FLOAT64) && (b[0] == LogicalType.INT64 || b[0] == LogicalType.FLOAT64)) {
            return new LogicalType[] {LogicalType.FLOAT64, null};
        }
        return new LogicalType[] {LogicalType.STRING, null};
    }

    @Override
    public OptionalLong estimateRows(TableSpec spec) {
        try (Session s = connection.session()) {
            return OptionalLong.of(s.run("MATCH (n:" + Cypher.id(spec.table()) + ") RETURN count(n)").single().get(0).asLong());
        } catch (RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public Chunk readSnapshot(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        List<String> keys = schema.primaryKey();
        Map<String, Object> params = new HashMap<>();
        params.put("limit", maxRows);
        StringBuilder where = new StringBuilder("n." + Cypher.id(PLACEHOLDER) + " IS NULL");
        for (String k : keys) {
            where.append(" AND n.").append(Cypher.id(k)).append(" IS NOT NULL");
        }
        if (after != null) {
            where.append(" AND ").append(keyset(keys, 0, after, params, "a"));
        }
        String q = "MATCH (n:" + Cypher.id(schema.name()) + ") WHERE " + where + " RETURN properties(n) ORDER BY "
                + orderBy(keys) + " LIMIT $limit";
        List<ChangeEvent> events = new ArrayList<>();
        try (Session s = connection.session()) {
            for (Record r : s.executeRead(tx -> tx.run(q, params).list())) {
                Object[] values = values(schema, r.get(0));
                Object[] key = keyOf(schema, values);
                Position pos = Position.of(key);
                events.add(softDeleted(spec, schema, values)
                        ? ChangeEvent.delete(schema.name(), key, values, 0, pos)
                        : ChangeEvent.read(schema.name(), key, values, 0, pos));
            }
        } catch (RuntimeException e) {
            throw Neo4jConnection.map("read a snapshot of label " + schema.name(), e);
        }
        Position next = events.isEmpty() ? after : events.get(events.size() - 1).position();
        return new Chunk(events, next, events.size() < maxRows);
    }

    /** {@code (k0 > $a0 OR (k0 = $a0 AND (k1 > $a1 …)))} over the key values of {@code pos} from index {@code from}. */
    private static String keyset(List<String> keys, int from, Position pos, Map<String, Object> params, String prefix) {
        StringBuilder sb = new StringBuilder();
        int n = keys.size();
        for (int i = 0; i < n; i++) {
            params.put(prefix + i, param(pos.get(from + i)));
        }
        for (int i = n - 1; i >= 0; i--) {
            String col = "n." + Cypher.id(keys.get(i));
            String p = "$" + prefix + i;
            sb.insert(0, i == n - 1 ? col + " > " + p : "(" + col + " > " + p + " OR (" + col + " = " + p + " AND ");
            if (i != n - 1) {
                sb.append("))");
            }
        }
        return "(" + sb + ")";
    }

    private static String orderBy(List<String> keys) {
        StringBuilder sb = new StringBuilder();
        for (String k : keys) {
            sb.append(sb.length() == 0 ? "" : ", ").append("n.").append(Cypher.id(k));
        }
        return sb.toString();
    }

    private static Object param(Object v) {
        if (v instanceof Instant) {
            return OffsetDateTime.ofInstant((Instant) v, ZoneOffset.UTC);
        }
        return v;
    }

    private String cursorExpression(TableSpec spec) {
        List<String> c = spec.cursorColumns();
        if (c.size() == 1) {
            return "n." + Cypher.id(c.get(0));
        }
        StringBuilder sb = new StringBuilder("coalesce(");
        for (int i = 0; i < c.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append("n.").append(Cypher.id(c.get(i)));
        }
        return sb.append(')').toString();
    }

    private LogicalType cursorType(TableSpec spec, TableSchema schema) {
        if (!spec.hasCursor()) {
            throw new ConfigException("cursor", "table '" + schema.name() + "' has no cursor; incremental reads need one");
        }
        LogicalType t = schema.column(spec.cursorColumns().get(0)).type();
        if (t != LogicalType.TIMESTAMP_TZ && t != LogicalType.TIMESTAMP && !allowUnsafeCursor) {
            throw new ConfigException(Neo4jSettings.ALLOW_UNSAFE_CURSOR, "table '" + schema.name() + "': cursor '"
                    + spec.cursorColumns().get(0) + "' is " + t + ", not a date-time, so a late commit could be skipped; "
                    + "set " + Neo4jSettings.ALLOW_UNSAFE_CURSOR + ": true to read by it anyway");
        }
        return t;
    }

    /**
     * The highest cursor value that is safe to read up to (exclusive), in the cursor's type; null for a cursor
     * that is not a date-time (no bound).
     */
    private Object safeBound(LogicalType cursor) {
        if (cursor != LogicalType.TIMESTAMP_TZ && cursor != LogicalType.TIMESTAMP) {
            return null;
        }
        try (Session s = connection.session()) {
            Record now = s.run("RETURN datetime.realtime() AS z, localdatetime.realtime() AS l").single();
            ZonedDateTime z = now.get("z").asZonedDateTime();
            LocalDateTime l = now.get("l").asLocalDateTime();
            // 10 ms below the clock: a row stamped in this very millisecond may still be on its way to commit
            Duration back = lag.plusMillis(10);
            Instant oldest = oldestTransactionStart(s);
            if (oldest != null && oldest.isBefore(z.toInstant())) {
                back = back.plus(Duration.between(oldest, z.toInstant()));
            }
            return cursor == LogicalType.TIMESTAMP_TZ ? z.toInstant().minus(back) : l.minus(back);
        } catch (RuntimeException e) {
            throw Neo4jConnection.map("read the server's clock", e);
        }
    }

    /** The start of the oldest transaction open on the server other than this query's own, or null. */
    private Instant oldestTransactionStart(Session s) {
        if (!transactionsVisible) {
            return null;
        }
        try {
            Instant oldest = null;
            for (Record r : s.run("SHOW TRANSACTIONS YIELD startTime, currentQuery").list()) {
                String q = r.get("currentQuery").isNull() ? "" : r.get("currentQuery").asString();
                if (q.startsWith("SHOW TRANSACTIONS")) {
                    continue;
                }
                Value st = r.get("startTime");
                Instant t = st.hasType(TypeSystem.getDefault().STRING()) ? OffsetDateTime.parse(st.asString()).toInstant()
                        : st.asZonedDateTime().toInstant();
                oldest = oldest == null || t.isBefore(oldest) ? t : oldest;
            }
            return oldest;
        } catch (RuntimeException e) {
            transactionsVisible = false;
            LOG.warn("SHOW TRANSACTIONS is not allowed for this user ({}); incremental reads stop {} before the server's "
                    + "clock only: a transaction open longer than that could be skipped", e.getMessage(), lag);
            return null;
        }
    }

    @Override
    public Position changesStart(TableSpec spec, TableSchema schema) {
        Object bound = safeBound(cursorType(spec, schema));
        return bound == null ? null : Position.of(bound);
    }

    @Override
    public Chunk readChanges(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        LogicalType cursorType = cursorType(spec, schema);
        Object bound = safeBound(cursorType);
        List<String> keys = schema.primaryKey();
        String cur = cursorExpression(spec);
        Map<String, Object> params = new HashMap<>();
        params.put("limit", maxRows);
        StringBuilder where = new StringBuilder("n." + Cypher.id(PLACEHOLDER) + " IS NULL AND " + cur + " IS NOT NULL");
        if (bound != null) {
            where.append(" AND ").append(cur).append(" < $bound");
            params.put("bound", param(bound));
        }
        if (after != null) {
            params.put("c", param(after.get(0)));
            if (after.size() == 1) {
                where.append(" AND ").append(cur).append(" >= $c");
            } else {
                where.append(" AND (").append(cur).append(" > $c OR (").append(cur).append(" = $c AND ")
                        .append(keyset(keys, 1, after, params, "a")).append("))");
            }
        }
        String q = "MATCH (n:" + Cypher.id(schema.name()) + ") WHERE " + where + " RETURN properties(n), " + cur
                + " AS cursor ORDER BY cursor, " + orderBy(keys) + " LIMIT $limit";
        List<ChangeEvent> events = new ArrayList<>();
        try (Session s = connection.session()) {
            for (Record r : s.executeRead(tx -> tx.run(q, params).list())) {
                Object[] values = values(schema, r.get(0));
                Object[] key = keyOf(schema, values);
                Object[] pos = new Object[key.length + 1];
                pos[0] = GraphValues.fromGraph(r.get("cursor"), cursorType, null);
                System.arraycopy(key, 0, pos, 1, key.length);
                events.add(softDeleted(spec, schema, values)
                        ? ChangeEvent.delete(schema.name(), key, values, 0, Position.ofOwned(pos))
                        : ChangeEvent.upsert(schema.name(), key, values, 0, Position.ofOwned(pos)));
            }
        } catch (RuntimeException e) {
            throw Neo4jConnection.map("read changes of label " + schema.name(), e);
        }
        Position next = events.isEmpty() ? after : events.get(events.size() - 1).position();
        return new Chunk(events, next, events.size() < maxRows);
    }

    private static Object[] values(TableSchema schema, Value props) {
        Map<String, Value> m = props.asMap(v -> v);
        Object[] out = new Object[schema.columns().size()];
        for (int i = 0; i < out.length; i++) {
            Column c = schema.columns().get(i);
            Value v = m.get(c.name());
            out[i] = v == null ? null : GraphValues.fromGraph(v, c.type(), c.elementType());
        }
        return out;
    }

    private static Object[] keyOf(TableSchema schema, Object[] values) {
        int[] idx = schema.keyIndexes();
        Object[] key = new Object[idx.length];
        for (int i = 0; i < idx.length; i++) {
            key[i] = values[idx[i]];
        }
        return key;
    }

    private static boolean softDeleted(TableSpec spec, TableSchema schema, Object[] values) {
        if (spec.softDeleteColumn() == null) {
            return false;
        }
        Object v = values[schema.indexOf(spec.softDeleteColumn())];
        return v != null && String.valueOf(v).equalsIgnoreCase(spec.softDeleteValue());
    }

    @Override
    public void close() {
        connection.close();
    }

    /** For listings: what this source reads. */
    @Override
    public String toString() {
        return "Neo4jSource[" + connection.url() + "]";
    }
}
