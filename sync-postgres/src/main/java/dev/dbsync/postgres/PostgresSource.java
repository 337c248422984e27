package dev.dbsync.postgres;

import static java.util.Objects.requireNonNull;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.StreamingSource;
import dev.dbsync.spi.ChangeStream;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.WriteResult;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads PostgreSQL tables: schema from the catalog, snapshots and incremental changes through binary
 * {@code COPY (SELECT …) TO STDOUT}.
 *
 * <h2>Snapshot</h2>
 * A snapshot read of a table opens a {@link SnapshotSession}: the key space after the start key is split into
 * ranges by sampling the keys, and {@code snapshot.readers} connections read the ranges ahead with one binary
 * {@code COPY (SELECT … WHERE (k) > (lo) AND (k) <= (hi) ORDER BY k) TO STDOUT (FORMAT binary)} each (an index
 * range scan on the primary key), decoding on their own threads into buffers bounded by rows and bytes.
 * {@link #readSnapshot} hands the rows out strictly in key order, at most {@code maxRows} per call, with {@link Chunk#next()} the last key
 * handed out, so the checkpoint stays one key. Binary COPY is used because it is the fastest way out of
 * PostgreSQL and its values decode without parsing text (see the module's benchmarks for the figures).
 * <p>Consistency: all readers of a session share one snapshot, exported by a coordinator connection
 * ({@code pg_export_snapshot()}) and imported by every reader ({@code SET TRANSACTION SNAPSHOT}) in
 * {@code REPEATABLE READ READ ONLY} transactions; a session of a single range is one COPY. So a FULL table read in
 * one session is one moment of the source. It is not when the session is reopened: after a crash or a
 * restart (the next run resumes after the checkpointed key, never re-reading what was handed out), after a
 * retried read, or when the session ended itself because nothing was read for {@code snapshot.idle.timeout};
 * each of these reads the rest of the table as of a later moment. The engine makes the whole gap-free either
 * way by taking {@link #changesStart} (or the change feed's position) before the snapshot and replaying changes
 * from there idempotently, so rows changed while the snapshot runs are delivered again afterwards.
 * <p>A session ends when the table's snapshot reaches its end, when a read does not continue from the key
 * handed out last (the engine resumed or retried: the session is dropped and a new one opened), on
 * {@link #close()} and after {@code snapshot.idle.timeout} without reads. A reader's error is thrown by the
 * read that reaches its range, mapped like every other read ({@link PgErrors}).
 *
 * <h2>Incremental</h2>
 * Keyset on (cursor, key): {@code WHERE (cursor, k) > (?, ?) AND cursor < bound ORDER BY cursor, k LIMIT n},
 * served by a b-tree index on {@code (cursor, key…)}. With several cursor columns the cursor is their
 * {@code COALESCE(…)} in order, which needs an expression index on {@code (COALESCE(a, b), key…)} to stay an
 * index scan. Rows with a NULL cursor are never read incrementally. Soft-deleted rows become DELETE events;
 * an event's version is its cursor value in epoch microseconds.
 *
 * <h2>The safe bound (late commits)</h2>
 * For temporal cursors (timestamptz, timestamp, date) a read only returns rows whose cursor is below
 * <pre>
 *   bound = least(oldest xact_start of every other open transaction, statement_timestamp() - 10 ms) - incremental.lag
 * </pre>
 * Why this is sound for cursors set from {@code now()} / {@code CURRENT_TIMESTAMP} (or a trigger doing so):
 * {@code now()} is the start time of the writing transaction. A row not yet visible to our read belongs to a
 * transaction that is still open; that transaction appears in {@code pg_stat_activity} with its
 * {@code xact_start}, and its rows carry a cursor ≥ that start ≥ bound, so they are not passed over; they
 * are read by a later sync once committed. Transactions starting after our read have a larger start still.
 * The 10 ms cover the microseconds between a transaction taking its start time and publishing it in
 * {@code pg_stat_activity}. {@code incremental.lag} adds room for writers whose cursor comes from another
 * clock ({@code clock_timestamp()}, application servers). For {@code timestamp} (without time zone) cursors
 * the bound is converted in this connection's time zone (the JVM's), which must be the writers' zone.
 * The sync user needs to see other sessions' {@code xact_start}: superuser or the {@code pg_read_all_stats}
 * role; without it the bound falls back to {@code now() - incremental.lag} and a warning is logged.
 * A transaction left open for long holds the bound back (nothing is lost; the reads wait for it). Only
 * transactions of the source database count. A prepared transaction ({@code PREPARE TRANSACTION}) leaves
 * {@code pg_stat_activity} and its start time is no longer shown anywhere: while one is pending in the source
 * database, incremental reads return nothing new (and a new incremental start is the beginning of the table),
 * with a warning naming it, until it is committed or rolled back.
 * Non-temporal cursors (e.g. a bigint version or sequence) have no such bound: their values are taken before
 * the transaction commits, so a row committed late can be passed over for good. Incremental reads refuse
 * them ({@link ConfigException} from {@link #changesStart} and {@link #readChanges}) unless the setting
 * {@code incremental.allow.unsafe.cursor} is true; then rows are read up to the last committed one.
 *
 * <h2>Change data capture</h2>
 * {@link StreamingSource} is delegated to {@link PgReplication} (publication {@code publication.name}, slot
 * {@code slot.name}, {@code pgoutput}).
 *
 * <p>Thread-safe: every call borrows its own connection from a small pool.
 */
final class PostgresSource implements Source, StreamingSource {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresSource.class);

    /** The safe bound while a prepared transaction of this database is pending: read nothing new. */
    private static final Object PREPARED = new Object();
    private static final long PREPARED_WARNING_INTERVAL_NANOS = 60_000_000_000L;
    private volatile long lastPreparedWarning = System.nanoTime() - PREPARED_WARNING_INTERVAL_NANOS - 1;

    /** The time a transaction may take between choosing its start time and showing it in pg_stat_activity. */
    static final Duration REGISTRATION_MARGIN = Duration.ofMillis(10);

    /**
     * Readers per table when the setting {@code snapshot.readers} is not given. Two: one range streams while the
     * next is read ahead, decoding runs beside the caller, and a table costs three connections at most while its
     * snapshot opens (two after). On the 2-core benchmark machine, where the database shares the cores, two and four
     * readers measured above one in most runs but not all (SnapshotBenchmark); more readers pay off when the database
     * and this process have cores to spare.
     */
    static final int DEFAULT_READERS = 2;
    /** How long an unread snapshot session lives when {@code snapshot.idle.timeout} is not given. */
    static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    static final SnapshotSession.Options DEFAULT_SNAPSHOT = new SnapshotSession.Options(DEFAULT_READERS,
            SnapshotSession.Options.DEFAULT_RANGE_BYTES, DEFAULT_IDLE_TIMEOUT);

    private final PgConnections connections;
    private final String defaultSchema;
    private final Duration lag;
    private volatile String slotName;
    private volatile String publicationName;
    /** Whether the names were configured (else they follow the pipeline's name once given). */
    private final boolean namedSlot;
    private final boolean namedPublication;
    private final PgConnectionFactory factory;
    private final Duration heartbeat;
    private final ConcurrentHashMap<TableSchema, ReadPlan> plans = new ConcurrentHashMap<>();
    private final AtomicBoolean warnedHidden = new AtomicBoolean();
    private volatile PgReplication replication;
    private final boolean allowUnsafeCursor;
    private final SnapshotSession.Options snapshotOptions;
    /** The open snapshot session of each table being read, by the table's SQL name. */
    /**
     * Open snapshot sessions by table: one per reader of the table, as two runs may read one table at once (a sink
     * added to a pipeline is snapshotted on its own beside the pipeline's run). Guarded by itself, with {@link #inUse}
     * and {@link #lastUsed}.
     */
    private final java.util.Map<String, List<SnapshotSession>> sessions = new java.util.HashMap<>();
    /** The sessions a read is using now: never handed to another read meanwhile. */
    private final java.util.Set<SnapshotSession> inUse = new java.util.HashSet<>();
    /** When each session's last read ended (System.nanoTime). */
    private final java.util.Map<SnapshotSession, Long> lastUsed = new java.util.HashMap<>();
    /** A session no read continued for this long is taken as left behind when its table needs a new one. */
    private static final long LEFT_BEHIND_NANOS = 2_000_000_000L;
    /** Sessions opened so far (for tests). */
    private final java.util.concurrent.atomic.AtomicLong sessionsOpened = new java.util.concurrent.atomic.AtomicLong();

    PostgresSource(PgConnectionFactory factory, String defaultSchema, Duration lag, String slotName, String publicationName) {
        this(factory, defaultSchema, lag, slotName, publicationName, PgReplication.DEFAULT_HEARTBEAT);
    }

    PostgresSource(PgConnectionFactory factory, String defaultSchema, Duration lag, String slotName, String publicationName,
                   Duration heartbeat) {
        this(factory, defaultSchema, lag, slotName, publicationName, heartbeat, false);
    }

    /** @param allowUnsafeCursor read incrementally by non-temporal cursors too (setting {@code incremental.allow.unsafe.cursor}) */
    PostgresSource(PgConnectionFactory factory, String defaultSchema, Duration lag, String slotName, String publicationName,
                   Duration heartbeat, boolean allowUnsafeCursor) {
        this(factory, defaultSchema, lag, slotName, publicationName, heartbeat, allowUnsafeCursor, DEFAULT_SNAPSHOT);
    }

    /** @param snapshot how snapshots are read (settings {@code snapshot.readers}, {@code snapshot.idle.timeout}) */
    PostgresSource(PgConnectionFactory factory, String defaultSchema, Duration lag, String slotName, String publicationName,
                   Duration heartbeat, boolean allowUnsafeCursor, SnapshotSession.Options snapshot) {
        this.snapshotOptions = requireNonNull(snapshot, "snapshot is null");
        this.allowUnsafeCursor = allowUnsafeCursor;
        this.connections = new PgConnections(requireNonNull(factory, "factory is null"));
        this.defaultSchema = requireNonNull(defaultSchema, "defaultSchema is null");
        this.lag = requireNonNull(lag, "lag is null");
        this.factory = factory;
        this.heartbeat = heartbeat;
        this.namedSlot = slotName != null;
        this.namedPublication = publicationName != null;
        this.slotName = slotName != null ? slotName : DEFAULT_FEED_NAME;
        this.publicationName = publicationName != null ? publicationName : DEFAULT_FEED_NAME;
        this.replication = new PgReplication(factory, defaultSchema, this.slotName, this.publicationName,
                heartbeat, PgReplication.DEFAULT_MAX_BATCH);
    }

    /** The slot and publication name outside a pipeline when none is configured. */
    static final String DEFAULT_FEED_NAME = "dbsync";

    /**
     * The default slot (and publication) name of a pipeline: {@code dbsync_} and the pipeline's name in lower case,
     * other characters as {@code _}, at most 63 characters (a longer name ends in a hash of the whole, so two long
     * names differing only at the end still differ).
     */
    static String feedName(String pipeline) {
        String clean = "dbsync_" + pipeline.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        if (clean.length() <= 63) {
            return clean;
        }
        String hash = Integer.toHexString(pipeline.hashCode());
        return clean.substring(0, 63 - hash.length() - 1) + "_" + hash;
    }

    @Override
    public synchronized void pipelineName(String pipeline) {
        if (namedSlot && namedPublication) {
            return;
        }
        String name = feedName(pipeline);
        slotName = namedSlot ? slotName : name;
        publicationName = namedPublication ? publicationName : name;
        replication = new PgReplication(factory, defaultSchema, slotName, publicationName, heartbeat,
                PgReplication.DEFAULT_MAX_BATCH);
        LOG.info("pipeline {}: change feed through replication slot '{}' and publication '{}'", pipeline, slotName,
                publicationName);
    }

    PostgresSource(PgConnectionFactory factory) {
        this(factory, "public", Duration.ZERO, DEFAULT_FEED_NAME, DEFAULT_FEED_NAME);
    }

    /** A source reading snapshots as {@code snapshot} says, with defaults otherwise (for tests). */
    PostgresSource(PgConnectionFactory factory, SnapshotSession.Options snapshot) {
        this(factory, "public", Duration.ZERO, DEFAULT_FEED_NAME, DEFAULT_FEED_NAME, PgReplication.DEFAULT_HEARTBEAT, false, snapshot);
    }

    /** How this source reads snapshots. */
    SnapshotSession.Options snapshotOptions() {
        return snapshotOptions;
    }

    PgConnectionFactory connectionFactory() {
        return connections.factory();
    }

    String slotName() {
        return slotName;
    }

    String publicationName() {
        return publicationName;
    }

    PgName name(TableSpec spec) {
        try {
            return PgName.parse(spec.table(), defaultSchema);
        } catch (IllegalArgumentException e) {
            throw new SyncException(ErrorType.CONFIG, e.getMessage());
        }
    }

    @Override
    public List<String> listTables() {
        try (PgConnections.Lease l = lease("listing tables")) {
            try {
                return PgCatalog.listTables(l.connection);
            } catch (SQLException e) {
                l.broken();
                throw PgErrors.map(e, "listing tables of " + connections.factory().url());
            }
        }
    }

    @Override
    public TableSchema describe(TableSpec spec) {
        PgName name = name(spec);
        try (PgConnections.Lease l = lease("describing table '" + spec.table() + "'")) {
            try {
                return PgCatalog.describe(l.connection, name, spec);
            } catch (SQLException e) {
                l.broken();
                throw PgErrors.map(e, "describing table '" + spec.table() + "'");
            }
        }
    }

    @Override
    public OptionalLong estimateRows(TableSpec spec) {
        try (PgConnections.Lease l = lease("estimating rows of '" + spec.table() + "'")) {
            try {
                return PgCatalog.estimateRows(l.connection, name(spec));
            } catch (SQLException e) {
                l.broken();
                return OptionalLong.empty();
            }
        }
    }

    @Override
    public Chunk readSnapshot(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        ReadPlan plan = plan(spec, schema);
        if (after != null) {
            checkSize(spec, after, plan.keyIdx.length, "snapshot");
        }
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows must be positive, got " + maxRows);
        }
        String key = plan.table;
        SnapshotSession s = null;
        List<SnapshotSession> leftBehind = new ArrayList<>();
        synchronized (sessions) {
            List<SnapshotSession> open = sessions.getOrDefault(key, List.of());
            for (SnapshotSession c : open) {
                if (!inUse.contains(c) && c.continues(plan, after)) {
                    s = c;
                    break;
                }
            }
            if (s == null) {
                // no session continues at this key: the read was resumed or retried from elsewhere, or is another run's;
                // sessions no read has continued for a while are left behind (or ended themselves when idle)
                long now = System.nanoTime();
                for (SnapshotSession c : open) {
                    if (!inUse.contains(c) && now - lastUsed.getOrDefault(c, 0L) > LEFT_BEHIND_NANOS) {
                        leftBehind.add(c);
                    }
                }
                leftBehind.forEach(c -> forget(key, c));
            } else {
                inUse.add(s);
            }
        }
        for (SnapshotSession c : leftBehind) {
            LOG.debug("table '{}': snapshot session left behind ({}); closing it", spec.table(), c.endReason());
            c.close();
        }
        if (s == null) {
            s = openSession(spec, plan, after);
            sessionsOpened.incrementAndGet();
            synchronized (sessions) {
                sessions.computeIfAbsent(key, k -> new ArrayList<>()).add(s);
                inUse.add(s);
            }
        }
        try {
            Chunk c = s.next(maxRows);
            if (c.last()) {
                forgetAndClose(key, s);
            }
            return c;
        } catch (RuntimeException | Error e) {
            forgetAndClose(key, s);
            throw e;
        } finally {
            synchronized (sessions) {
                inUse.remove(s);
                if (sessions.getOrDefault(key, List.of()).contains(s)) {
                    lastUsed.put(s, System.nanoTime());
                }
            }
        }
    }

    /** Takes a session out of the map (callers hold the map's lock). */
    private void forget(String key, SnapshotSession s) {
        List<SnapshotSession> open = sessions.get(key);
        if (open != null) {
            open.remove(s);
            if (open.isEmpty()) {
                sessions.remove(key);
            }
        }
        lastUsed.remove(s);
    }

    private void forgetAndClose(String key, SnapshotSession s) {
        synchronized (sessions) {
            forget(key, s);
        }
        s.close();
    }

    /** The open snapshot session of the table, null when none is open (for tests). */
    SnapshotSession session(TableSpec spec) {
        synchronized (sessions) {
            List<SnapshotSession> open = sessions.get(name(spec).sql());
            return open == null || open.isEmpty() ? null : open.get(0);
        }
    }

    /** How many snapshot sessions were opened so far (for tests). */
    long sessionsOpened() {
        return sessionsOpened.get();
    }

    private SnapshotSession openSession(TableSpec spec, ReadPlan plan, Position after) {
        PgConnections.Lease l = lease("reading table '" + spec.table() + "'");
        String lower = null;
        try {
            if (after != null) {
                StringBuilder sb = new StringBuilder("(");
                for (int i = 0; i < plan.keyIdx.length; i++) {
                    sb.append(i == 0 ? "" : ", ").append(keyLiteral(l, plan, i, after.get(i)));
                }
                lower = sb.append(')').toString();
            } else {
                keyTypes(l, plan);
            }
        } catch (RuntimeException e) {
            l.close();
            throw e;
        }
        return SnapshotSession.open(connections, l, plan, after, lower, snapshotOptions);
    }

    @Override
    public Position changesStart(TableSpec spec, TableSchema schema) {
        ReadPlan plan = plan(spec, schema);
        requireCursor(spec, plan);
        try (PgConnections.Lease l = lease("finding the incremental start of '" + spec.table() + "'")) {
            try {
                if (plan.temporal) {
                    Object bound = safeBound(l.connection, plan);
                    // with a prepared transaction whose start is unknown, changes are read from the beginning
                    return bound == PREPARED ? Position.of((Object) null) : Position.of(bound);
                }
                // non-temporal cursor: everything from the current maximum on (re-reading rows at it is harmless)
                try (PreparedStatement ps = l.connection.prepareStatement("SELECT max(" + plan.cursorExpr + ")::"
                        + PgTypes.castType(plan.cursorColumn) + " FROM " + plan.table);
                     ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return Position.of(scalar(rs, plan.cursorColumn));
                }
            } catch (SQLException e) {
                l.broken();
                throw PgErrors.map(e, "finding the incremental start of table '" + spec.table() + "'");
            }
        }
    }

    @Override
    public Chunk readChanges(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        ReadPlan plan = plan(spec, schema);
        requireCursor(spec, plan);
        Column cc = plan.cursorColumn;
        try (PgConnections.Lease l = lease("reading changes of '" + spec.table() + "'")) {
            Object bound;
            try {
                bound = plan.temporal ? safeBound(l.connection, plan) : null;
            } catch (SQLException e) {
                l.broken();
                throw PgErrors.map(e, "finding the safe bound of table '" + spec.table() + "'");
            }
            if (bound == PREPARED) {
                return new Chunk(List.of(), after, true);
            }
            StringBuilder sql = new StringBuilder(256).append("COPY (SELECT ").append(plan.selectList)
                    .append(" FROM ").append(plan.table).append(" WHERE ");
            if (after == null || after.size() == 1 && after.get(0) == null) {
                sql.append(plan.cursorExpr).append(" IS NOT NULL");
            } else if (after.size() == 1) {
                sql.append(plan.cursorExpr).append(" >= ").append(PgTypes.literal(cc, after.get(0)));
            } else {
                checkSize(spec, after, plan.keyIdx.length + 1, "incremental");
                sql.append('(').append(plan.cursorExpr).append(", ").append(plan.keyList).append(") > (")
                        .append(PgTypes.literal(cc, after.get(0)));
                for (int i = 0; i < plan.keyIdx.length; i++) {
                    sql.append(", ").append(keyLiteral(l, plan, i, after.get(i + 1)));
                }
                sql.append(')');
            }
            if (bound != null) {
                sql.append(" AND ").append(plan.cursorExpr).append(" < ").append(PgTypes.literal(cc, bound));
            }
            sql.append(" ORDER BY ").append(plan.cursorExpr).append(", ").append(plan.keyOrder)
                    .append(" LIMIT ").append(maxRows).append(") TO STDOUT (FORMAT binary)");
            return copy(l, plan, sql.toString(), true, maxRows, after);
        }
    }

    /**
     * A key value as a literal of the key column's own type, so the keyset predicate compares the way the
     * ORDER BY sorts: an enum by its declared order, citext without case, inet as addresses. A text literal
     * would fail for enum and inet keys ("operator does not exist") and compare citext case-sensitively. The
     * type name is PostgreSQL's own quoted rendering ({@code format_type}) read from the catalog, never taken
     * from the schema handed in.
     */
    private String keyLiteral(PgConnections.Lease l, ReadPlan plan, int i, Object value) {
        Column c = plan.schema.columns().get(plan.keyIdx[i]);
        if (value == null) {
            return PgTypes.literal(c, null);
        }
        String[] types = keyTypes(l, plan);
        StringBuilder sb = new StringBuilder();
        PgTypes.appendText(sb, c.type(), c.elementType(), value);
        return PgName.literal(sb.toString()) + "::" + (types[i] != null ? types[i] : PgTypes.castType(c));
    }

    /** The catalog types of the key columns, read once per plan. */
    private static String[] keyTypes(PgConnections.Lease l, ReadPlan plan) {
        String[] types = plan.keyTypes;
        if (types == null) {
            try {
                types = keyTypes(l.connection, plan);
            } catch (SQLException e) {
                l.broken();
                throw PgErrors.map(e, "reading the key types of table '" + plan.spec.table() + "'");
            }
            plan.keyTypes = types;
        }
        return types;
    }

    private static String[] keyTypes(Connection c, ReadPlan plan) throws SQLException {
        String[] out = new String[plan.keyIdx.length];
        try (PreparedStatement ps = c.prepareStatement("SELECT a.attname, format_type(a.atttypid, a.atttypmod)"
                + " FROM pg_attribute a WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped")) {
            ps.setString(1, plan.table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int k = plan.schema.primaryKey().indexOf(rs.getString(1));
                    if (k >= 0) {
                        out[k] = rs.getString(2);
                    }
                }
            }
        }
        return out;
    }

    /**
     * The upper bound for temporal cursors (see the class comment), as a value of the cursor's type.
     */
    private Object safeBound(Connection c, ReadPlan plan) throws SQLException {
        String sql = "SELECT (least(statement_timestamp() - ?::interval,"
                + " (SELECT min(xact_start) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
                + " AND backend_type = 'client backend' AND xact_start IS NOT NULL AND datid = (SELECT oid FROM pg_database"
                + " WHERE datname = current_database()))) - ?::interval)::"
                + PgTypes.castType(plan.cursorColumn)
                + ", (SELECT count(*) FROM pg_stat_activity WHERE query = '<insufficient privilege>')"
                + ", (SELECT string_agg(format('%s (prepared at %s by %s)', gid, prepared, owner), ', ' ORDER BY prepared)"
                + " FROM pg_prepared_xacts WHERE database = current_database())";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, REGISTRATION_MARGIN.toMillis() + " milliseconds");
            ps.setString(2, lag.toMillis() + " milliseconds");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String prepared = rs.getString(3);
                if (prepared != null) {
                    // A prepared transaction's rows carry the time its transaction began, which PostgreSQL no longer
                    // shows: nothing newer than what was read before is read until it is committed or rolled back.
                    long now = System.nanoTime();
                    if (now - lastPreparedWarning > PREPARED_WARNING_INTERVAL_NANOS) {
                        lastPreparedWarning = now;
                        LOG.warn("prepared transaction(s) {} may still add rows to {}: incremental reads wait until they are"
                                + " committed or rolled back", prepared, plan.table);
                    }
                    return PREPARED;
                }
                if (rs.getLong(2) > 0 && warnedHidden.compareAndSet(false, true)) {
                    LOG.warn("the sync user cannot see the transactions of {} other session(s) in pg_stat_activity; incremental"
                            + " reads cannot wait for their late commits. Grant the role pg_read_all_stats to the sync user,"
                            + " or set incremental.lag above the longest write transaction", rs.getLong(2));
                }
                switch (plan.cursorColumn.type()) {
                    case TIMESTAMP_TZ:
                        return rs.getObject(1, OffsetDateTime.class).toInstant();
                    case TIMESTAMP:
                        return rs.getObject(1, LocalDateTime.class);
                    case DATE:
                        return rs.getObject(1, LocalDate.class);
                    default:
                        throw new IllegalStateException("not a temporal cursor: " + plan.cursorColumn);
                }
            }
        }
    }

    /** Runs one binary COPY and turns its rows into events. */
    /**
     * Runs one binary COPY of at most {@code maxRows} rows and turns them into a chunk. A row with a value that has
     * no form in its logical type (a numeric NaN, a time of 24:00) in a column other than the key becomes a failed
     * row naming the column, for the dead-letter handler; the chunk still moves past it.
     */
    private Chunk copy(PgConnections.Lease l, ReadPlan plan, String sql, boolean changes, int maxRows, Position after) {
        List<ChangeEvent> events = new ArrayList<>(Math.min(maxRows, 16_384));
        List<WriteResult.FailedEvent> failed = new ArrayList<>();
        RowDecoder row = new RowDecoder(plan);
        CopyOut copy = null;
        try {
            copy = l.connection.unwrap(PGConnection.class).getCopyAPI().copyOut(sql);
            CopyBinaryReader reader = new CopyBinaryReader(copy);
            Position last = after;
            int rows = 0;
            while (reader.next(row)) {
                String problem = row.problem;
                ChangeEvent e = row.event(changes);
                last = e.position();
                rows++;
                if (problem == null) {
                    events.add(e);
                } else {
                    failed.add(new WriteResult.FailedEvent(e, "reading table '" + plan.spec.table() + "', key " + e.keyText()
                            + ": " + problem, null));
                }
            }
            copy = null;
            return new Chunk(events, last, rows < maxRows, failed);
        } catch (SQLException e) {
            l.broken();
            throw PgErrors.map(e, "reading table '" + plan.spec.table() + "'");
        } catch (IllegalArgumentException e) {
            l.broken();
            throw new SyncException(ErrorType.DATA, "reading table '" + plan.spec.table() + "', column '"
                    + row.columnName() + "' after key " + row.lastKey(events) + ": " + e.getMessage(), e);
        } finally {
            if (copy != null && copy.isActive()) {
                try {
                    copy.cancelCopy();
                } catch (SQLException ignored) {
                    // the connection is dropped anyway
                }
            }
        }
    }

    /** Decodes the fields of one COPY row and builds its event; reused for every row of a chunk. */
    static final class RowDecoder implements CopyBinaryReader.FieldDecoder {
        private final ReadPlan plan;
        private final int n;
        private Object[] values;
        private boolean deleted;
        private int current = -1;

        RowDecoder(ReadPlan plan) {
            this.plan = plan;
            this.n = plan.types.length;
            this.values = new Object[n];
        }

        /** What could not be decoded in the current row (a column other than the key); null when all could. */
        String problem;

        @Override
        public void field(int index, byte[] buf, int off, int len) {
            current = index;
            if (index < n) {
                try {
                    values[index] = len < 0 ? null : PgTypes.decodeBinary(plan.types[index], buf, off, len);
                } catch (IllegalArgumentException | DataException e) {
                    if (isKey(index)) {
                        throw e;
                    }
                    values[index] = null;
                    String col = plan.schema.columns().get(index).name();
                    problem = (problem == null ? "" : problem + "; ") + "column '" + col + "': " + e.getMessage();
                }
            } else {
                deleted = len >= 0 && SoftDelete.matches(plan.softDeleteType, plan.spec.softDeleteValue(),
                        new String(buf, off, len, StandardCharsets.UTF_8));
            }
        }

        private boolean isKey(int index) {
            for (int k : plan.keyIdx) {
                if (k == index) {
                    return true;
                }
            }
            return false;
        }

        ChangeEvent event(boolean changes) {
            problem = null;
            Object[] v = values;
            values = new Object[n];
            int[] ki = plan.keyIdx;
            Object[] key = new Object[ki.length];
            for (int i = 0; i < ki.length; i++) {
                key[i] = v[ki[i]];
            }
            Object cursor = plan.cursorIdx.length == 0 ? null : cursorValue(v);
            long version = cursor == null ? 0 : PgTypes.versionOf(cursor);
            Position pos;
            if (changes) {
                Object[] p = new Object[key.length + 1];
                p[0] = cursor;
                System.arraycopy(key, 0, p, 1, key.length);
                pos = Position.ofOwned(p);
            } else {
                pos = Position.ofOwned(key);
            }
            boolean del = deleted;
            deleted = false;
            if (del) {
                return ChangeEvent.delete(plan.spec.table(), key, v, version, pos);
            }
            return changes ? ChangeEvent.upsert(plan.spec.table(), key, v, version, pos)
                    : ChangeEvent.read(plan.spec.table(), key, v, version, pos);
        }

        private Object cursorValue(Object[] v) {
            for (int i : plan.cursorIdx) {
                if (v[i] != null) {
                    return v[i];
                }
            }
            return null;
        }

        String columnName() {
            return current >= 0 && current < n ? plan.schema.columns().get(current).name() : "(soft-delete flag)";
        }

        String lastKey(List<ChangeEvent> events) {
            return events.isEmpty() ? "(start of chunk)" : events.get(events.size() - 1).keyText();
        }
    }

    /** Everything about reading one table that does not change between chunks. */
    static final class ReadPlan {
        final TableSpec spec;
        final TableSchema schema;
        final String table;
        final String selectList;
        final String keyList;
        /**
         * The key columns qualified by the table for ORDER BY: a bare name there would mean the select list's
         * output column of the same name, which is cast to the canonical type (text for an enum, citext or inet)
         * and sorts differently from the keyset predicate, which compares the columns themselves.
         */
        final String keyOrder;
        final int[] keyIdx;
        final LogicalType[] types;
        final int[] cursorIdx;
        final String cursorExpr;
        final Column cursorColumn;
        final boolean temporal;
        /** Type of the soft-delete column, null without one. */
        final LogicalType softDeleteType;
        /** The catalog types of the key columns (format_type), read on first use; literals are cast to them. */
        volatile String[] keyTypes;

        /** The type key literal {@code i} is cast to: the catalog's, read before by the caller. */
        String keyType(int i) {
            String[] t = keyTypes;
            return t != null && t[i] != null ? t[i] : PgTypes.castType(schema.columns().get(keyIdx[i]));
        }

        ReadPlan(PgName name, TableSpec spec, TableSchema schema) {
            this.spec = spec;
            this.schema = schema;
            this.table = name.sql();
            List<Column> cols = schema.columns();
            types = new LogicalType[cols.size()];
            StringBuilder sel = new StringBuilder();
            for (int i = 0; i < cols.size(); i++) {
                types[i] = cols.get(i).type();
                sel.append(i == 0 ? "" : ", ").append(PgTypes.selectExpression(cols.get(i)));
            }
            if (spec.softDeleteColumn() != null) {
                Column sd = schema.column(spec.softDeleteColumn());
                SoftDelete.check(spec, sd);
                softDeleteType = sd.type();
                sel.append(", ").append(SoftDelete.textExpression(sd));
            } else {
                softDeleteType = null;
            }
            selectList = sel.toString();
            keyIdx = schema.keyIndexes();
            StringBuilder kl = new StringBuilder();
            for (String k : schema.primaryKey()) {
                kl.append(kl.length() == 0 ? "" : ", ").append(PgName.quote(k));
            }
            keyList = kl.toString();
            StringBuilder ko = new StringBuilder();
            for (String k : schema.primaryKey()) {
                ko.append(ko.length() == 0 ? "" : ", ").append(table).append('.').append(PgName.quote(k));
            }
            keyOrder = ko.toString();
            List<String> cursor = spec.cursorColumns();
            cursorIdx = new int[cursor.size()];
            for (int i = 0; i < cursor.size(); i++) {
                cursorIdx[i] = schema.indexOf(cursor.get(i));
                if (cursorIdx[i] < 0) {
                    throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "': configured cursor column '"
                            + cursor.get(i) + "' does not exist; the table's columns are " + schema.columnNames());
                }
            }
            if (cursor.isEmpty()) {
                cursorExpr = null;
                cursorColumn = null;
                temporal = false;
            } else {
                StringBuilder ce = new StringBuilder();
                for (String c : cursor) {
                    // qualified, so that ORDER BY means the column and not the select list's cast of it
                    ce.append(ce.length() == 0 ? "" : ", ").append(table).append('.').append(PgName.quote(c));
                }
                cursorExpr = cursor.size() == 1 ? ce.toString() : "COALESCE(" + ce + ")";
                cursorColumn = schema.column(cursor.get(0));
                LogicalType t = cursorColumn.type();
                temporal = t == LogicalType.TIMESTAMP_TZ || t == LogicalType.TIMESTAMP || t == LogicalType.DATE;
            }
        }
    }

    private ReadPlan plan(TableSpec spec, TableSchema schema) {
        ReadPlan p = plans.get(schema);
        if (p == null || !p.spec.equals(spec)) {
            p = new ReadPlan(name(spec), spec, schema);
            plans.put(schema, p);
        }
        return p;
    }

    private void requireCursor(TableSpec spec, ReadPlan plan) {
        if (plan.cursorExpr == null) {
            throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "' has no cursor column; incremental"
                    + " reads need one (TableSpec.withCursor(...))");
        }
        if (!plan.temporal && !allowUnsafeCursor) {
            throw new ConfigException(PostgresSourceFactory.INCREMENTAL_ALLOW_UNSAFE_CURSOR, "table '" + spec.table()
                    + "': cursor column '" + plan.cursorColumn.name() + "' (" + plan.cursorColumn.sourceType() + ") is not a"
                    + " time, so incremental reads cannot wait for late commits: sequence and counter values are taken"
                    + " before their transaction commits, and a row committed after a read that passed its value is"
                    + " skipped for good. Use a timestamptz cursor set by now() (or a trigger doing so), sync the table"
                    + " by change data capture, or set " + PostgresSourceFactory.INCREMENTAL_ALLOW_UNSAFE_CURSOR
                    + "=true to accept the risk");
        }
    }

    private static void checkSize(TableSpec spec, Position p, int expected, String what) {
        if (p.size() != expected) {
            throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "': the saved " + what + " position " + p
                    + " has " + p.size() + " values but " + expected + " are expected; the key or cursor configuration"
                    + " changed since it was saved: clear the table's checkpoint to start over");
        }
    }

    /** Drops the replication slot and, when no other slot of the database may use it, the publication. */
    @Override
    public String dropFeed() {
        return replication.dropFeed();
    }

    /** The replication slot's retained WAL and lag; empty before the slot exists. */
    @Override
    public java.util.Optional<dev.dbsync.spi.FeedStatus> feedStatus() {
        return replication.feedStatus();
    }

    /** Positions are (commit LSN, message, event) triples, compared in that order with the LSN unsigned. */
    @Override
    public java.util.Optional<java.util.Comparator<Position>> positionOrder() {
        return java.util.Optional.of((a, b) -> PgChangeStream.compare(PgChangeStream.parse(a), PgChangeStream.parse(b)));
    }

    @Override
    public Position streamStart(List<TableSpec> tables) {
        return replication.streamStart(tables);
    }

    @Override
    public ChangeStream openStream(List<TableSchema> tables, List<TableSpec> specs, Position from) {
        return replication.open(tables, specs, from);
    }

    private PgConnections.Lease lease(String what) {
        try {
            return connections.borrow();
        } catch (SQLException e) {
            throw PgErrors.map(e, what);
        }
    }

    @Override
    public void close() {
        List<SnapshotSession> all = new ArrayList<>();
        synchronized (sessions) {
            sessions.values().forEach(all::addAll);
            sessions.clear();
            inUse.clear();
            lastUsed.clear();
        }
        all.forEach(SnapshotSession::close);
        connections.close();
    }

    @Override
    public String toString() {
        return "PostgresSource[" + connections.factory().url() + "]";
    }

    /** A non-temporal cursor value from a result column of the canonical type, as the event value type. */
    private static Object scalar(ResultSet rs, Column c) throws SQLException {
        Object v;
        switch (c.type()) {
            case INT32: v = rs.getInt(1); break;
            case INT64: v = rs.getLong(1); break;
            case DECIMAL: v = rs.getBigDecimal(1); break;
            case FLOAT64: v = rs.getDouble(1); break;
            case UUID: v = rs.getObject(1, java.util.UUID.class); break;
            case STRING: v = rs.getString(1); break;
            default:
                throw new SyncException(ErrorType.CONFIG, "cursor column '" + c.name() + "' has type " + c.sourceType()
                        + ", which cannot be used as an incremental cursor");
        }
        return rs.wasNull() ? null : v;
    }
}
