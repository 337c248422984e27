package dev.dbsync.postgres;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.WriteResult;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One table's snapshot, read ahead in key order by reader threads and handed out in key order.
 *
 * <p>Opening: the key space after the start position is split into ranges by a sample of the keys (quantiles of
 * {@code TABLESAMPLE SYSTEM}, or of every key of a small table), sized so that one range is about
 * {@link Options#rangeBytes} of the table. With more than one range, a coordinator connection begins
 * {@code REPEATABLE READ READ ONLY}, exports its snapshot ({@code pg_export_snapshot()}) and takes the sample in
 * it; every reader connection begins {@code REPEATABLE READ READ ONLY} and imports that snapshot before the
 * coordinator ends. So every range is read as of one moment of the database. A single range (a small table, or one
 * reader) is read by one {@code COPY}, which is one moment by itself.
 *
 * <p>Reading: readers take ranges in key order, at most {@code readers + 1} ranges ahead of the one being handed
 * out, and read each with one binary COPY of {@code WHERE (k) > (lo) AND (k) <= (hi) ORDER BY k} (a row comparison,
 * so the primary-key index serves it). A reader decodes its range on its own thread, but at most
 * {@link #DECODED_BLOCKS} blocks of {@link #BLOCK_EVENTS} rows ahead of the consumer: events decoded long before
 * they are handed out are cold in the caches by then, and going through them cost the consumer about as much as
 * decoding them itself (profiled). Further ahead a reader only receives the COPY messages (a third of the decoded
 * size) into a backlog of the range bounded by bytes (about {@code 1.5 × rangeBytes}), so memory stays bounded
 * however wide the rows; when that is full too the reader waits, and the server waits with it on the socket.
 *
 * <p>Handing out: {@link #next(int)} returns up to {@code maxRows} rows strictly in key order across ranges, and
 * remembers the last key handed out; the caller continues the session only when the next read starts from that
 * key. A crash therefore loses only rows read ahead and not yet handed out (at most {@code readers + 1} ranges).
 *
 * <p>Ending: the session ends (transactions ended, connections returned or closed, threads joined) by
 * {@link #close()}; it ends itself when no read came for {@link Options#idleTimeout}, so a caller that stopped
 * reading does not hold a snapshot (and vacuum) back. A reader's error is kept with its range and thrown by the
 * read that reaches that range.
 *
 * <p>Thread-safety: {@link #next} is called by one thread at a time; {@link #close()} from any thread.
 */
final class SnapshotSession implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotSession.class);

    /** Rows per hand-off block: hand-offs cost one lock each, so they carry many rows. */
    static final int BLOCK_EVENTS = 1024;
    /** Decoded blocks a range may hold; more is kept as COPY messages, a third of the size. */
    static final int DECODED_BLOCKS = 2;
    /** COPY bytes per hand-off block, so a block of wide rows stays small. */
    static final int BLOCK_BYTES = 256 << 10;
    /** At most this many sampled keys: enough for thousands of ranges, a fraction of a second to read. */
    static final int MAX_SAMPLE = 100_000;
    /** Sampled keys wanted per range, so quantiles land near their targets. */
    static final int SAMPLE_PER_RANGE = 32;

    private static final AtomicInteger SESSIONS = new AtomicInteger();
    /** Tests only: runs after the coordinator exported its snapshot and before the readers import it. */
    static volatile Runnable afterExport;
    private static final Pattern PLAN_ROWS = Pattern.compile("\"Plan Rows\":\\s*([0-9.eE+]+)");
    private static final long WAIT_MILLIS = 200;

    /**
     * How snapshots are read.
     *
     * @param readers     reader connections (and threads) per table being read, at least 1
     * @param rangeBytes  the table bytes one range aims at; a range's buffer holds 1.5 times this in COPY bytes
     * @param idleTimeout a session no read came to for this long ends itself
     */
    record Options(int readers, long rangeBytes, Duration idleTimeout) {
        static final long DEFAULT_RANGE_BYTES = 2L << 20;

        Options {
            if (readers < 1) {
                throw new IllegalArgumentException("readers must be at least 1, got " + readers);
            }
            if (rangeBytes < 1) {
                throw new IllegalArgumentException("rangeBytes must be positive, got " + rangeBytes);
            }
            if (idleTimeout.isNegative() || idleTimeout.isZero()) {
                throw new IllegalArgumentException("idleTimeout must be positive, got " + idleTimeout);
            }
        }
    }

    /** A part of the key space: {@code (lower, upper]}, either end open when null. */
    static final class Range {
        final int index;
        final String lower;
        final String upper;
        /** Decoded rows waiting to be handed out; guarded by the session's lock. */
        final ArrayDeque<Block> blocks = new ArrayDeque<>();
        /** COPY bytes of {@link #blocks}; guarded by the session's lock. */
        long bytes;
        /** COPY bytes received and not yet decoded; written by the range's reader only. */
        volatile long rawBytes;
        boolean done;
        RuntimeException error;

        Range(int index, String lower, String upper) {
            this.index = index;
            this.lower = lower;
            this.upper = upper;
        }
    }

    /** Rows handed from a reader to the consumer at once; {@code problems[i]} non-null for a row read only in part. */
    static final class Block {
        final ChangeEvent[] events = new ChangeEvent[BLOCK_EVENTS];
        String[] problems;
        int size;
        long bytes;

        void add(ChangeEvent e, String problem, long wireBytes) {
            if (problem != null) {
                if (problems == null) {
                    problems = new String[BLOCK_EVENTS];
                }
                problems[size] = problem;
            }
            events[size++] = e;
            bytes += wireBytes;
        }

        boolean full() {
            return size == BLOCK_EVENTS || bytes >= BLOCK_BYTES;
        }
    }

    /**
     * The messages of one range's COPY as its decoder takes them: first those received ahead into the backlog,
     * then straight from the connection. Used by the range's reader thread only.
     */
    private static final class RangeInput implements CopyBinaryReader.Messages {
        final CopyOut copy;
        final ArrayDeque<byte[]> backlog = new ArrayDeque<>();
        long backlogBytes;
        boolean ended;
        /** COPY bytes handed to the decoder so far. */
        long consumed;

        RangeInput(CopyOut copy) {
            this.copy = copy;
        }

        /** Receives one message into the backlog; false at the end of the COPY. */
        boolean receive() throws SQLException {
            byte[] m = copy.readFromCopy();
            if (m == null) {
                ended = true;
                return false;
            }
            backlog.add(m);
            backlogBytes += m.length + 16;
            return true;
        }

        @Override
        public byte[] next() throws SQLException {
            byte[] m = backlog.poll();
            if (m != null) {
                backlogBytes -= m.length + 16;
            } else if (!ended) {
                m = copy.readFromCopy();
                ended = m == null;
            }
            if (m != null) {
                consumed += m.length + 16;
            }
            return m;
        }
    }

    /** Thrown inside a reader when the session ended under it. */
    private static final class Ended extends RuntimeException {
        Ended() {
            super("snapshot session ended", null, false, false);
        }
    }

    private final PostgresSource.ReadPlan plan;
    private final Options options;
    private final Range[] ranges;
    private final String name;
    private final long bufferBytes;
    private final int aheadLimit;
    private final long idleNanos;
    private final Object lock = new Object();
    private final List<Thread> threads = new ArrayList<>();
    /** The connection of each reader while it runs a COPY, so close() can cancel it; guarded by lock. */
    private final PgConnections.Lease[] copying;

    // guarded by lock
    private Block current;
    private int currentOff;
    private int head;
    private int nextRange;
    private Position position;
    private long lastAccess = System.nanoTime();
    private boolean closed;
    private String endReason;
    private int alive;

    private SnapshotSession(PostgresSource.ReadPlan plan, Options options, Range[] ranges, Position start, int readers) {
        this.plan = plan;
        this.options = options;
        this.ranges = ranges;
        this.position = start;
        this.name = "dbsync-snapshot-" + SESSIONS.incrementAndGet();
        this.bufferBytes = Math.max(BLOCK_BYTES, options.rangeBytes() + options.rangeBytes() / 2);
        this.aheadLimit = options.readers() + 1;
        this.idleNanos = options.idleTimeout().toNanos();
        this.copying = new PgConnections.Lease[readers];
    }

    /**
     * Opens a session for the rows of {@code plan}'s table after {@code after}.
     *
     * @param lower       {@code after} as a SQL row literal of the key's types, null from the beginning
     * @param coordinator a connection of {@code pool}, idle; the session takes it over (returns or closes it)
     */
    static SnapshotSession open(PgConnections pool, PgConnections.Lease coordinator, PostgresSource.ReadPlan plan,
                                Position after, String lower, Options options) {
        String table = plan.spec.table();
        List<PgConnections.Lease> readers = new ArrayList<>();
        boolean ok = false;
        boolean coordinatorReleased = false;
        try {
            Range[] ranges;
            if (options.readers() == 1) {
                ranges = new Range[] {new Range(0, lower, null)};
                begin(coordinator);
                readers.add(coordinator);
            } else {
                begin(coordinator);
                String snapshot;
                try (Statement st = coordinator.connection.createStatement();
                     ResultSet rs = st.executeQuery("SELECT pg_export_snapshot()")) {
                    rs.next();
                    snapshot = rs.getString(1);
                }
                ranges = split(coordinator, plan, lower, options);
                Runnable hook = afterExport;
                if (hook != null) {
                    hook.run();
                }
                if (ranges.length == 1) {
                    // one COPY is one moment by itself: the coordinator reads it, nothing to share
                    readers.add(coordinator);
                } else {
                    int n = Math.min(options.readers(), ranges.length);
                    for (int i = 0; i < n; i++) {
                        PgConnections.Lease l;
                        try {
                            l = pool.borrow();
                        } catch (SQLException | RuntimeException e) {
                            if (i == 0) {
                                throw e;
                            }
                            // e.g. max_connections reached: fewer readers are slower, not wrong
                            LOG.warn("table '{}': only {} of {} snapshot readers could connect ({}); reading with those",
                                    table, i, n, e.getMessage());
                            break;
                        }
                        readers.add(l);
                        try (Statement st = l.connection.createStatement()) {
                            st.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
                            st.execute("SET TRANSACTION SNAPSHOT " + PgName.literal(snapshot));
                            st.execute("SET LOCAL enable_sort = off");
                        }
                    }
                    // every reader holds the snapshot now; the exporting transaction is no longer needed
                    try (Statement st = coordinator.connection.createStatement()) {
                        st.execute("COMMIT");
                    }
                    coordinatorReleased = true;
                    coordinator.close();
                }
            }
            SnapshotSession s = new SnapshotSession(plan, options, ranges, after, readers.size());
            if (ranges.length > 1) {
                LOG.info("table '{}': snapshot in {} key ranges by {} readers, all from one exported snapshot", table,
                        ranges.length, readers.size());
            }
            s.start(readers);
            ok = true;
            return s;
        } catch (SQLException e) {
            throw PgErrors.map(e, "opening the snapshot of table '" + table + "'");
        } finally {
            if (!ok) {
                if (!coordinatorReleased && !readers.contains(coordinator)) {
                    coordinator.broken();
                    coordinatorReleased = true;
                    coordinator.close();
                }
                for (PgConnections.Lease l : readers) {
                    l.broken();
                    l.close();
                }
            }
        }
    }

    /**
     * Begins the read-only transaction every reader reads in. Sorting is switched off for it: the key order then
     * comes from the primary-key index (a range scan), never from sorting a whole range in memory or on disk.
     */
    private static void begin(PgConnections.Lease l) throws SQLException {
        try (Statement st = l.connection.createStatement()) {
            st.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
            st.execute("SET LOCAL enable_sort = off");
        }
    }

    /**
     * The ranges after {@code lower}, from quantiles of a sample of the keys taken in the coordinator's snapshot.
     * Boundaries are the keys' own text forms cast back to their catalog types, so they compare exactly like the
     * keys, whatever their type.
     */
    static Range[] split(PgConnections.Lease coordinator, PostgresSource.ReadPlan plan, String lower, Options options)
            throws SQLException {
        long tableBytes;
        String relkind;
        try (PreparedStatement ps = coordinator.connection.prepareStatement(
                "SELECT pg_table_size(c.oid), c.relkind::text FROM pg_class c WHERE c.oid = ?::regclass")) {
            ps.setString(1, plan.table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                tableBytes = rs.getLong(1);
                relkind = rs.getString(2);
            }
        }
        if ("p".equals(relkind)) {
            // a partitioned table holds nothing itself: its size is its partitions'
            try (PreparedStatement ps = coordinator.connection.prepareStatement(
                    "SELECT coalesce(sum(pg_table_size(relid)), 0) FROM pg_partition_tree(?::regclass)")) {
                ps.setString(1, plan.table);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    tableBytes = rs.getLong(1);
                }
            }
        } else if (!"r".equals(relkind) && !"m".equals(relkind)) {
            // views and foreign tables have no size to split by and cannot be sampled: one range
            return new Range[] {new Range(0, lower, null)};
        }
        long wanted = ceilDiv(tableBytes, options.rangeBytes());
        if (wanted <= 1) {
            return new Range[] {new Range(0, lower, null)};
        }
        double estimate = 0;
        try (Statement st = coordinator.connection.createStatement();
             ResultSet rs = st.executeQuery("EXPLAIN (FORMAT JSON) SELECT 1 FROM " + plan.table)) {
            // the planner's row estimate: from the catalog, or from the table's size when it was never analysed
            rs.next();
            Matcher m = PLAN_ROWS.matcher(rs.getString(1));
            if (m.find()) {
                estimate = Double.parseDouble(m.group(1));
            }
        }
        long sampleTarget = Math.min(MAX_SAMPLE, Math.max(1_000, wanted * SAMPLE_PER_RANGE));
        StringBuilder sql = new StringBuilder("SELECT ");
        List<String> key = plan.schema.primaryKey();
        for (int i = 0; i < key.size(); i++) {
            sql.append(plan.table).append('.').append(PgName.quote(key.get(i))).append("::text, ");
        }
        sql.append(lower == null ? "true" : "(" + plan.keyList + ") > " + lower).append(" FROM ").append(plan.table);
        if (estimate > sampleTarget) {
            sql.append(String.format(Locale.ROOT, " TABLESAMPLE SYSTEM (%.6f)", 100.0 * sampleTarget / estimate));
        }
        sql.append(" ORDER BY ").append(plan.keyOrder);
        List<String[]> sample = new ArrayList<>();
        long total = 0;
        try (Statement st = coordinator.connection.createStatement(); ResultSet rs = st.executeQuery(sql.toString())) {
            int k = key.size();
            rows:
            while (rs.next()) {
                total++;
                if (!rs.getBoolean(k + 1)) {
                    continue;
                }
                String[] values = new String[k];
                for (int i = 0; i < k; i++) {
                    values[i] = rs.getString(i + 1);
                    if (values[i] == null) {
                        continue rows;
                    }
                }
                sample.add(values);
            }
        }
        if (sample.isEmpty()) {
            return new Range[] {new Range(0, lower, null)};
        }
        // the share of the table after the start position, as seen in the sample
        double share = (double) sample.size() / total;
        int count = (int) Math.min(sample.size(), Math.max(1, Math.round(wanted * share)));
        List<String> bounds = new ArrayList<>();
        String[] previous = null;
        for (int j = 1; j < count; j++) {
            String[] b = sample.get((int) ((long) j * sample.size() / count));
            if (previous != null && Arrays.equals(previous, b)) {
                continue;
            }
            previous = b;
            bounds.add(rowLiteral(plan, b));
        }
        Range[] ranges = new Range[bounds.size() + 1];
        String lo = lower;
        for (int i = 0; i < bounds.size(); i++) {
            ranges[i] = new Range(i, lo, bounds.get(i));
            lo = bounds.get(i);
        }
        ranges[bounds.size()] = new Range(bounds.size(), lo, null);
        return ranges;
    }

    private static String rowLiteral(PostgresSource.ReadPlan plan, String[] texts) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < texts.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(PgName.literal(texts[i])).append("::").append(plan.keyType(i));
        }
        return sb.append(')').toString();
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private void start(List<PgConnections.Lease> leases) {
        synchronized (lock) {
            alive = leases.size();
        }
        for (int i = 0; i < leases.size(); i++) {
            PgConnections.Lease l = leases.get(i);
            int slot = i;
            Thread t = new Thread(() -> read(slot, l), name + "-" + plan.spec.table() + "-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    /** Number of key ranges of this session. */
    int rangeCount() {
        return ranges.length;
    }

    /** Number of reader connections (and threads) of this session. */
    int readerCount() {
        return copying.length;
    }

    /** True when a read from {@code after} with {@code plan} continues this session where it left off. */
    boolean continues(PostgresSource.ReadPlan plan, Position after) {
        synchronized (lock) {
            return !closed && this.plan == plan && Objects.equals(position, after);
        }
    }

    /** COPY bytes held in the ranges' buffers now (for tests of the memory bound). */
    long bufferedBytes() {
        synchronized (lock) {
            long sum = 0;
            for (Range r : ranges) {
                sum += r.bytes + r.rawBytes;
            }
            return sum;
        }
    }

    /** The most COPY bytes all ranges' buffers together may hold, give or take one block per range. */
    long bufferLimit() {
        return (long) aheadLimit * (bufferBytes + (long) DECODED_BLOCKS * BLOCK_BYTES);
    }

    /** Why the session ended; null while open. */
    String endReason() {
        synchronized (lock) {
            return endReason;
        }
    }

    /** The next rows in key order, at most {@code maxRows}, waiting for the readers as needed. */
    Chunk next(int maxRows) {
        List<ChangeEvent> events = new ArrayList<>(Math.min(maxRows, 16_384));
        List<WriteResult.FailedEvent> failed = null;
        synchronized (lock) {
            lastAccess = System.nanoTime();
            Position last = position;
            int rows = 0;
            while (rows < maxRows) {
                if (closed) {
                    throw new SyncException(ErrorType.EXTERNAL, "reading table '" + plan.spec.table()
                            + "': the snapshot session ended (" + endReason + ")");
                }
                Block b = current;
                if (b != null) {
                    int n = Math.min(b.size - currentOff, maxRows - rows);
                    for (int i = currentOff; i < currentOff + n; i++) {
                        ChangeEvent e = b.events[i];
                        String problem = b.problems == null ? null : b.problems[i];
                        if (problem == null) {
                            events.add(e);
                        } else {
                            if (failed == null) {
                                failed = new ArrayList<>();
                            }
                            failed.add(new WriteResult.FailedEvent(e, "reading table '" + plan.spec.table() + "', key "
                                    + e.keyText() + ": " + problem, null));
                        }
                    }
                    currentOff += n;
                    rows += n;
                    last = b.events[currentOff - 1].position();
                    if (currentOff == b.size) {
                        current = null;
                    }
                    continue;
                }
                if (head == ranges.length) {
                    break;
                }
                Range r = ranges[head];
                b = r.blocks.poll();
                if (b != null) {
                    r.bytes -= b.bytes;
                    current = b;
                    currentOff = 0;
                    lock.notifyAll();
                    continue;
                }
                if (r.error != null) {
                    throw r.error;
                }
                if (r.done) {
                    head++;
                    lock.notifyAll();
                    continue;
                }
                if (alive == 0) {
                    throw new SyncException(ErrorType.INTERNAL, "reading table '" + plan.spec.table() + "': every"
                            + " snapshot reader ended before key range " + r.index + " was read");
                }
                waitLocked();
                lastAccess = System.nanoTime();
            }
            // move past finished empty ranges, so the chunk that hands out the last row says it is the last
            while (current == null && head < ranges.length && ranges[head].done && ranges[head].blocks.isEmpty()
                    && ranges[head].error == null) {
                head++;
            }
            position = last;
            boolean end = current == null && head == ranges.length;
            return new Chunk(events, last, end, failed == null ? List.of() : failed);
        }
    }

    private void waitLocked() {
        try {
            lock.wait(WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SyncException(ErrorType.INTERNAL, "reading table '" + plan.spec.table() + "': interrupted", e);
        }
    }

    /** A reader: takes ranges in order and reads each into its buffer, until none is left or the session ends. */
    private void read(int slot, PgConnections.Lease lease) {
        PostgresSource.RowDecoder row = new PostgresSource.RowDecoder(plan);
        boolean clean = false;
        Range r = null;
        try {
            while ((r = take()) != null) {
                readRange(slot, lease, r, row);
            }
            clean = true;
        } catch (Ended e) {
            // the session was closed: nothing to report
        } catch (SQLException e) {
            fail(r, PgErrors.map(e, "reading table '" + plan.spec.table() + "'"));
        } catch (IllegalArgumentException e) {
            fail(r, new SyncException(ErrorType.DATA, "reading table '" + plan.spec.table() + "', column '"
                    + row.columnName() + "' in key range " + (r == null ? "?" : r.index) + ": " + e.getMessage(), e));
        } catch (RuntimeException e) {
            fail(r, e);
        } catch (Error e) {
            fail(r, new SyncException(ErrorType.INTERNAL, "reading table '" + plan.spec.table() + "': " + e, e));
            throw e;
        } finally {
            synchronized (lock) {
                copying[slot] = null;
                // after close() nothing goes back to the pool: a cancel may still be on its way to this connection
                clean &= !closed;
                alive--;
                lock.notifyAll();
            }
            if (clean) {
                try (Statement st = lease.connection.createStatement()) {
                    st.execute("COMMIT");
                } catch (SQLException e) {
                    lease.broken();
                }
            } else {
                lease.broken();
            }
            lease.close();
        }
    }

    private void fail(Range r, RuntimeException e) {
        synchronized (lock) {
            if (r != null) {
                r.error = e;
            } else if (head < ranges.length && ranges[head].error == null) {
                ranges[head].error = e;
            }
            lock.notifyAll();
        }
    }

    /** The next range to read; null when none is left or the session ended. */
    private Range take() {
        synchronized (lock) {
            while (!closed && nextRange < ranges.length && nextRange - head >= aheadLimit) {
                idleCheckLocked();
                waitReader();
            }
            if (closed || nextRange >= ranges.length) {
                return null;
            }
            return ranges[nextRange++];
        }
    }

    private void waitReader() {
        try {
            lock.wait(WAIT_MILLIS);
        } catch (InterruptedException e) {
            throw new Ended();
        }
    }

    /** Ends the session when nobody asked for rows for longer than the idle timeout; called by waiting readers. */
    private void idleCheckLocked() {
        if (!closed && System.nanoTime() - lastAccess > idleNanos) {
            LOG.info("table '{}': no snapshot read for {}; ending the snapshot session so it does not hold the database"
                    + " back (a later read starts a new one)", plan.spec.table(), options.idleTimeout());
            endLocked("idle for " + options.idleTimeout());
        }
    }

    private void endLocked(String why) {
        if (!closed) {
            closed = true;
            endReason = why;
            for (Range r : ranges) {
                r.blocks.clear();
                r.bytes = 0;
            }
            current = null;
            lock.notifyAll();
            // a reader inside a COPY sees the end at its next block; one waiting on the server is cancelled
            for (PgConnections.Lease l : copying) {
                if (l != null) {
                    cancel(l);
                }
            }
        }
    }

    private static void cancel(PgConnections.Lease l) {
        try {
            l.connection.unwrap(PGConnection.class).cancelQuery();
        } catch (SQLException | RuntimeException ignored) {
            // the reader closes the connection anyway
        }
    }

    /**
     * Reads one range. The reader decodes at most {@link #DECODED_BLOCKS} blocks ahead of the consumer, so the events
     * are still fresh in the caches when the consumer goes through them; further ahead it only receives the COPY
     * messages (a third of the decoded size) into the range's backlog, bounded by bytes, and decodes them when the
     * consumer has taken blocks.
     */
    private void readRange(int slot, PgConnections.Lease lease, Range r, PostgresSource.RowDecoder row)
            throws SQLException {
        StringBuilder sql = new StringBuilder(256).append("COPY (SELECT ").append(plan.selectList).append(" FROM ")
                .append(plan.table);
        if (r.lower != null || r.upper != null) {
            sql.append(" WHERE ");
            if (r.lower != null) {
                sql.append('(').append(plan.keyList).append(") > ").append(r.lower);
            }
            if (r.upper != null) {
                sql.append(r.lower != null ? " AND " : "").append('(').append(plan.keyList).append(") <= ").append(r.upper);
            }
        }
        sql.append(" ORDER BY ").append(plan.keyOrder).append(") TO STDOUT (FORMAT binary)");
        CopyOut copy = null;
        try {
            synchronized (lock) {
                if (closed) {
                    throw new Ended();
                }
                copying[slot] = lease;
            }
            copy = lease.connection.unwrap(PGConnection.class).getCopyAPI().copyOut(sql.toString());
            RangeInput in = new RangeInput(copy);
            CopyBinaryReader reader = new CopyBinaryReader(in);
            boolean more = true;
            while (more) {
                if (decodedRoom(r)) {
                    Block b = new Block();
                    long mark = in.consumed;
                    while (!b.full() && (more = reader.next(row))) {
                        String problem = row.problem;
                        ChangeEvent e = row.event(false);
                        b.add(e, problem, in.consumed - mark);
                        mark = in.consumed;
                    }
                    r.rawBytes = in.backlogBytes;
                    if (b.size > 0) {
                        put(r, b);
                    }
                } else if (!in.ended && in.backlogBytes < bufferBytes) {
                    for (int i = 0; i < 256 && in.backlogBytes < bufferBytes && in.receive(); i++) {
                        // receive ahead while the consumer is busy with decoded blocks
                    }
                    r.rawBytes = in.backlogBytes;
                } else {
                    awaitDecodedRoom(r);
                }
            }
            copy = null;
            synchronized (lock) {
                copying[slot] = null;
                r.rawBytes = 0;
                r.done = true;
                lock.notifyAll();
            }
        } finally {
            if (copy != null && copy.isActive()) {
                try {
                    copy.cancelCopy();
                } catch (SQLException | RuntimeException ignored) {
                    // the connection is closed by the caller
                }
            }
        }
    }

    private boolean decodedRoom(Range r) {
        synchronized (lock) {
            if (closed) {
                throw new Ended();
            }
            return r.blocks.size() < DECODED_BLOCKS;
        }
    }

    private void awaitDecodedRoom(Range r) {
        synchronized (lock) {
            while (!closed && r.blocks.size() >= DECODED_BLOCKS) {
                idleCheckLocked();
                waitReader();
            }
            if (closed) {
                throw new Ended();
            }
        }
    }

    /** Adds a decoded block to the range's buffer (the caller checked there is room). */
    private void put(Range r, Block b) {
        synchronized (lock) {
            if (closed) {
                throw new Ended();
            }
            boolean wasEmpty = r.blocks.isEmpty();
            r.blocks.add(b);
            r.bytes += b.bytes;
            if (wasEmpty && r.index == head) {
                lock.notifyAll();
            }
        }
    }

    /**
     * Ends the session: readers stop (a COPY in progress is cancelled), their transactions end and their
     * connections are closed; waits until every reader thread has ended.
     */
    @Override
    public void close() {
        synchronized (lock) {
            endLocked("closed");
        }
        boolean interrupted = false;
        for (Thread t : threads) {
            while (t.isAlive()) {
                try {
                    t.join(10_000);
                    if (t.isAlive()) {
                        LOG.warn("table '{}': waiting for snapshot reader {} to end", plan.spec.table(), t.getName());
                        t.interrupt();
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "SnapshotSession[" + plan.spec.table() + ", " + ranges.length + " ranges, " + copying.length + " readers]";
    }
}
