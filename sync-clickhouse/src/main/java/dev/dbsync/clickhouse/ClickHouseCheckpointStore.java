package dev.dbsync.clickhouse;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps checkpoints in a ClickHouse table beside the data:
 * <pre>
 * CREATE TABLE sync_control (pipeline String, table String, position String, synced_at DateTime64(3))
 * ENGINE = ReplacingMergeTree(synced_at) ORDER BY (pipeline, table)
 * </pre>
 * A save is one INSERT (atomic in ClickHouse); a load reads the newest row with {@code FINAL}. Clearing
 * inserts a row with an empty position. Each save's {@code synced_at} is strictly greater than every
 * {@code synced_at} stored for its (pipeline, table): the first save of a key in a store instance reads the
 * stored maximum, later ones continue from the last value this instance wrote (one millisecond past it
 * when the clock has not moved or lags behind). So the latest save always has the highest version, also after
 * a restart on a machine whose clock is behind the one that saved before, and a clear is never ignored.
 * Two store instances saving the same key at once are not ordered; the lease below keeps that from happening.
 *
 * <p>Leases live in {@code <table>_lease (pipeline, holder, token, heartbeat) ReplacingMergeTree(token)}.
 * ClickHouse has no transactions or locks, so a lease is a heartbeat: the holder inserts its row again every
 * third of {@code lease.ttl}; a lease whose heartbeat is older than {@code lease.ttl} (by the server's clock),
 * or whose holder is a process of this host that no longer exists, is free. Acquiring inserts the next token
 * and reads it back: if another process won the race, the reader sees its row and gives up. Every save and
 * clear first reads the pipeline's lease and refuses under an older token. Between that check and the insert
 * there is a window of one request in which a takeover is not seen; ClickHouse offers nothing to close it.
 *
 * <p>Thread-safe.
 */
final class ClickHouseCheckpointStore implements CheckpointStore {

    private final ChConnection conn;
    /** The last synced_at (epoch milliseconds) written or found per (pipeline, table). */
    private final Map<List<String>, Long> lastMillis = new HashMap<>();
    private final LongSupplier clock;
    private final String table;
    private final boolean ownsConnection;
    private final Duration ttl;
    private final Map<String, Lease> held = new HashMap<>();
    private final Map<String, ScheduledFuture<?>> renewals = new HashMap<>();
    private ScheduledExecutorService renewer;
    private volatile boolean created;

    private static final Logger LOG = LoggerFactory.getLogger(ClickHouseCheckpointStore.class);

    ClickHouseCheckpointStore(ChConnection conn, String table, boolean ownsConnection) {
        this(conn, table, ownsConnection, System::currentTimeMillis, conn.settings().leaseTtl);
    }

    ClickHouseCheckpointStore(ChConnection conn, String table, boolean ownsConnection, LongSupplier clock, Duration ttl) {
        this.clock = clock;
        this.conn = conn;
        this.table = table;
        this.ownsConnection = ownsConnection;
        this.ttl = ttl;
    }

    private String leases() {
        return Sql.table(conn.settings().database, table + "_lease");
    }

    /** The pipeline's newest lease row: holder, token, seconds since its heartbeat; null when none. */
    private Object[] currentLease(String pipeline) {
        String sql = "SELECT holder, token, toFloat64(dateDiff('millisecond', heartbeat, now64(3))) / 1000 FROM " + leases()
                + " FINAL WHERE pipeline = " + Sql.literal(pipeline);
        return conn.query(sql, Map.of(), "lease of pipeline '" + pipeline + "'", in -> {
            ClickHouseSink.skipHeader(in);
            Object[] row = null;
            while (in.hasMore()) {
                String holder = in.string();
                long token = in.le(8);
                double age = Double.longBitsToDouble(in.le(8));
                row = new Object[] {holder, token, age};
            }
            return row;
        });
    }

    private void insertLease(String pipeline, String holder, long token, boolean released) {
        conn.execute("INSERT INTO " + leases() + " (pipeline, holder, token, heartbeat) VALUES (" + Sql.literal(pipeline) + ", "
                + Sql.literal(holder) + ", " + token + ", " + (released ? "toDateTime64(0, 3, 'UTC')" : "now64(3)") + ")",
                "lease of pipeline '" + pipeline + "'");
    }

    /** Whether {@code holder} ({@code host:pid}) names a process of this host that is gone. */
    static boolean deadOnThisHost(String holder) {
        int colon = holder.lastIndexOf(':');
        if (colon <= 0) {
            return false;
        }
        String host = holder.substring(0, colon);
        String name = java.lang.management.ManagementFactory.getRuntimeMXBean().getName();
        String me = name.indexOf('@') >= 0 ? name.substring(name.indexOf('@') + 1) : "";
        if (!host.equals(me)) {
            return false;
        }
        try {
            long pid = Long.parseLong(holder.substring(colon + 1));
            return ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    @Override
    public synchronized Lease acquire(String pipeline, String holder) {
        ensureTable();
        if (held.containsKey(pipeline)) {
            throw busy(pipeline, held.get(pipeline).holder(), holder);
        }
        Object[] now = currentLease(pipeline);
        long token = 1;
        if (now != null) {
            String other = (String) now[0];
            double age = (Double) now[2];
            boolean free = other.isEmpty() || age > ttl.toMillis() / 1000.0 || deadOnThisHost(other);
            if (!free) {
                throw busy(pipeline, other + " (heartbeat " + Math.round(age) + " s ago)", holder);
            }
            token = (Long) now[1] + 1;
        }
        insertLease(pipeline, holder, token, false);
        Object[] after = currentLease(pipeline);
        if (after == null || !holder.equals(after[0]) || (Long) after[1] != token) {
            throw busy(pipeline, after == null ? "another process" : String.valueOf(after[0]), holder);
        }
        Lease lease = Lease.of(pipeline, holder, token);
        held.put(pipeline, lease);
        if (renewer == null) {
            renewer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "dbsync-clickhouse-lease");
                t.setDaemon(true);
                return t;
            });
        }
        long every = Math.max(100, ttl.toMillis() / 3);
        renewals.put(pipeline, renewer.scheduleWithFixedDelay(() -> renew(lease), every, every, TimeUnit.MILLISECONDS));
        return lease;
    }

    private void renew(Lease lease) {
        try {
            synchronized (this) {
                if (lease.equals(held.get(lease.pipeline()))) {
                    insertLease(lease.pipeline(), lease.holder(), lease.token(), false);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("lease of pipeline '{}': renewal failed (retried): {}", lease.pipeline(), e.toString());
        }
    }

    private LeaseException busy(String pipeline, String other, String me) {
        return new LeaseException("pipeline " + pipeline + " is already running, held by " + other + " (lease in '" + table
                + "_lease'); refusing to start it a second time from " + me);
    }

    @Override
    public synchronized void release(Lease lease) {
        if (lease.equals(held.get(lease.pipeline()))) {
            held.remove(lease.pipeline());
            ScheduledFuture<?> f = renewals.remove(lease.pipeline());
            if (f != null) {
                f.cancel(false);
            }
            insertLease(lease.pipeline(), "", lease.token(), true);
        }
    }

    /** Refuses unless {@code lease} is the pipeline's current lease. */
    private void check(Lease lease) {
        Object[] now = currentLease(lease.pipeline());
        if (now == null || (Long) now[1] != lease.token() || !lease.holder().equals(now[0])) {
            throw new LeaseException("pipeline " + lease.pipeline() + ": the lease of " + lease.holder() + " (token " + lease.token()
                    + ") is no longer current" + (now == null ? "" : "; held by " + (((String) now[0]).isEmpty() ? "nobody"
                    : now[0]) + " (token " + now[1] + ")") + "; checkpoint not saved");
        }
    }

    private String qualified() {
        return Sql.table(conn.settings().database, table);
    }

    private void ensureTable() {
        if (!created) {
            conn.execute("CREATE TABLE IF NOT EXISTS " + qualified() + " (pipeline String, `table` String, position String, "
                    + "synced_at DateTime64(3)) ENGINE = ReplacingMergeTree(synced_at) ORDER BY (pipeline, `table`)",
                    "checkpoint table '" + table + "'");
            conn.execute("CREATE TABLE IF NOT EXISTS " + leases() + " (pipeline String, holder String, token UInt64, "
                    + "heartbeat DateTime64(3, 'UTC')) ENGINE = ReplacingMergeTree(token) ORDER BY pipeline",
                    "lease table '" + table + "_lease'");
            created = true;
        }
    }

    /** The next synced_at of a key, above everything stored for it. Caller holds this store's lock. */
    private long nextMillis(String pipeline, String tableName) {
        List<String> key = List.of(pipeline, tableName);
        Long last = lastMillis.get(key);
        if (last == null) {
            String sql = "SELECT toUnixTimestamp64Milli(max(synced_at)), count() FROM " + qualified() + " WHERE pipeline = "
                    + Sql.literal(pipeline) + " AND `table` = " + Sql.literal(tableName);
            last = conn.query(sql, Map.of(), where(pipeline, tableName), in -> {
                ClickHouseSink.skipHeader(in);
                long max = in.le(8);
                long rows = in.le(8);
                return rows == 0 ? Long.MIN_VALUE : max;
            });
        }
        long next = last == Long.MIN_VALUE ? clock.getAsLong() : Math.max(last + 1, clock.getAsLong());
        lastMillis.put(key, next);
        return next;
    }

    @Override
    public Optional<String> load(String pipeline, String tableName) {
        ensureTable();
        String sql = "SELECT position FROM " + qualified() + " FINAL WHERE pipeline = " + Sql.literal(pipeline)
                + " AND `table` = " + Sql.literal(tableName);
        String position = conn.query(sql, java.util.Map.of(), where(pipeline, tableName), in -> {
            ClickHouseSink.skipHeader(in);
            String last = null;
            while (in.hasMore()) {
                last = in.string();
            }
            return last;
        });
        if (position == null || position.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(position);
    }

    @Override
    public void save(Lease lease, String tableName, String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("an empty checkpoint text cannot be saved (it marks a cleared key)");
        }
        write(lease, tableName, text);
    }

    @Override
    public void clear(Lease lease, String tableName) {
        write(lease, tableName, "");
    }

    private synchronized void write(Lease lease, String tableName, String position) {
        ensureTable();
        check(lease);
        String pipeline = lease.pipeline();
        long millis = nextMillis(pipeline, tableName);
        try {
            conn.execute("INSERT INTO " + qualified() + " (pipeline, `table`, position, synced_at) VALUES ("
                    + Sql.literal(pipeline) + ", " + Sql.literal(tableName) + ", " + Sql.literal(position)
                    + ", fromUnixTimestamp64Milli(" + millis + ", 'UTC'))", where(pipeline, tableName));
        } catch (RuntimeException e) {
            // the insert may have landed or not: read the stored maximum again next time
            lastMillis.remove(List.of(pipeline, tableName));
            throw e;
        }
    }

    private String where(String pipeline, String tableName) {
        return "checkpoint of pipeline '" + pipeline + "', table '" + tableName + "' in '" + table + "'";
    }

    /** Stops renewing (leases not released expire after lease.ttl, as a dead process's would) and closes. */
    @Override
    public synchronized void close() {
        held.clear();
        renewals.clear();
        if (renewer != null) {
            renewer.shutdownNow();
            renewer = null;
        }
        if (ownsConnection) {
            conn.close();
        }
    }
}
