package dev.dbsync.postgres;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.postgres.PgoutputDecoder.Begin;
import dev.dbsync.postgres.PgoutputDecoder.Commit;
import dev.dbsync.postgres.PgoutputDecoder.Delete;
import dev.dbsync.postgres.PgoutputDecoder.Insert;
import dev.dbsync.postgres.PgoutputDecoder.LogicalMessage;
import dev.dbsync.postgres.PgoutputDecoder.Message;
import dev.dbsync.postgres.PgoutputDecoder.RelColumn;
import dev.dbsync.postgres.PgoutputDecoder.Relation;
import dev.dbsync.postgres.PgoutputDecoder.Truncate;
import dev.dbsync.postgres.PgoutputDecoder.Tuple;
import dev.dbsync.postgres.PgoutputDecoder.Update;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.ChangeKind;
import dev.dbsync.spi.ChangeStream;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.FeedLostException;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.locks.LockSupport;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A logical replication stream of one slot, decoded from {@code pgoutput} into {@link ChangeEvent}s.
 *
 * <h2>Events</h2>
 * An INSERT is an UPSERT; an UPDATE is an UPSERT of the new row, preceded by a DELETE of the old key when
 * the update changed the key; a DELETE is a DELETE of the key from the old-key tuple (with the old row as
 * values when the table has REPLICA IDENTITY FULL); a TRUNCATE is a TRUNCATE of every synced table it names.
 * A row whose soft-delete column holds the configured marking value is a DELETE. Every event's version is
 * the LSN of its change record: it grows with every change of a key, because changes of one row are
 * serialized by the row lock. A TRUNCATE always begins a poll's result, because the engine empties a target
 * before it writes the rows of a poll.
 *
 * <h2>Positions</h2>
 * A position is a triple of longs {@code (lsn, message, event)}:
 * <ul>
 *   <li>{@code (L, m, e)} with {@code m > 0}: inside the transaction whose commit record starts at LSN
 *       {@code L}, after the {@code e}-th event of its {@code m}-th data message. Messages count every
 *       INSERT, UPDATE, DELETE and TRUNCATE of the transaction in the stream, of synced tables or not, so
 *       the count is the same whenever the transaction is decoded again; events within one message are
 *       numbered too (a key-changing update has two, a TRUNCATE one per table).</li>
 *   <li>{@code (E, 0, 0)}: after everything whose commit record starts before {@code E}; used once a
 *       transaction's commit has been read ({@code E} is then its end LSN).</li>
 * </ul>
 * Transactions arrive whole and in commit order (protocol version 1), and the server delivers every
 * transaction whose commit record starts at or after the start LSN (and after the slot's confirmed flush
 * LSN). So resuming at {@code (L, m, e)} starts the replication at {@code L}, which delivers that transaction
 * again from its first message, and skips its first {@code m - 1} messages and the first {@code e} events of
 * message {@code m}: nothing lost, nothing doubled. {@link #acknowledge} reports {@code L} as flushed in that
 * case (so the slot keeps the transaction) and {@code E} in the other.
 *
 * <h2>Unchanged TOAST values</h2>
 * For an UPDATE that does not change a large out-of-line ("TOASTed") value, the server sends the marker
 * "unchanged" instead of the value. Such a column is never written as a placeholder; it is resolved, in
 * this order:
 * <ol>
 *   <li>from the old row the server sent with the update (tables with REPLICA IDENTITY FULL, where the old
 *       row carries every value in line): exact;</li>
 *   <li>from an earlier event of the same row in the same poll that carried the whole row: exact, since a
 *       value that changed in between would have been sent;</li>
 *   <li>otherwise by reading the row's current value from the table by key, one query per table and poll.
 *       The value may be newer than the event, but only if a later change of this row follows in the stream,
 *       and that change carries the newer value (or is itself resolved the same way), so the target reaches
 *       the source's state when the stream catches up. If the row is gone, a later DELETE (or key change)
 *       follows in the stream; the event is then dropped rather than written with a guessed value.</li>
 * </ol>
 * Tables whose large columns are updated often should use REPLICA IDENTITY FULL to avoid the queries.
 *
 * <h2>Acknowledgement and heartbeats</h2>
 * {@link #acknowledge} sets the stream's flushed and applied LSN and sends a status update at once, so the
 * slot's {@code confirmed_flush_lsn} advances only to what the sink flushed. When everything polled is
 * acknowledged and no transaction is open, the acknowledged LSN is moved on to the last LSN the server
 * reported as processed (the end of the last transaction read, or the position in a keepalive message):
 * WAL of unrelated tables or databases then does not stay behind the slot. This happens on acknowledge and,
 * while idle, every heartbeat interval, together with a status update that also keeps the connection alive; but
 * never before the engine's first acknowledgement on this stream, and pgjdbc's own flush on keepalives is off: the
 * engine may hold the slot back at an older position than the stream was opened at (while a sink is added to a
 * running pipeline, it is brought up from there).
 * No heartbeat rows or messages are written to the database.
 *
 * <p>Used by one thread; not thread-safe.
 */
final class PgChangeStream implements ChangeStream {

    private static final Logger LOG = LoggerFactory.getLogger(PgChangeStream.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A poll that has events waits this long for more before returning, to batch a steady stream. */
    private static final long LINGER_NANOS = Duration.ofMillis(5).toNanos();
    private static final long MAX_PARK_NANOS = Duration.ofMillis(2).toNanos();
    private static final long MAX_POLL_BYTES = 64L << 20;
    private static final int FETCH_CHUNK = 1000;

    private final PgConnectionFactory connections;
    private final Connection replicationConnection;
    private final PGReplicationStream stream;
    private final String slot;
    private final Map<Long, SyncedTable> tablesByOid = new HashMap<>();
    private final long heartbeatNanos;
    private final int maxBatch;

    private final long resumeLsn;
    private final long resumeMessage;
    private final long resumeEvent;

    private final Map<Long, RelationState> relations = new HashMap<>();
    private boolean inTransaction;
    private long txnLsn;
    private long messageIndex;
    private boolean skipTransaction;
    private long skipMessage;
    private long skipEvents;
    private long lastCommitEnd;

    /** A message read after a full poll, handled first by the next one. */
    private Message carried;
    private long carriedLsn;
    private long[] lastEmitted;
    private long[] lastAcknowledged;
    private long flushedLsn;
    private long lastHeartbeat = System.nanoTime();
    private Connection queryConnection;
    private boolean closed;

    /** Prefix of the logical decoding message that marks the end of the WAL when a stream is opened. */
    static final String END_MARK_PREFIX = "dbsync.end";

    /** The WAL position current when the stream was opened, and the token of the message written there (or null). */
    private final long endMarkLsn;
    private final String endMarkToken;
    private boolean endMarkSeen;

    PgChangeStream(PgConnectionFactory connections, Connection replicationConnection, PGReplicationStream stream,
                   String slot, List<PgTableRef> tables, List<TableSchema> schemas, List<TableSpec> specs,
                   long[] start, Duration heartbeat, int maxBatch, long endMarkLsn, String endMarkToken) {
        this.endMarkLsn = endMarkLsn;
        this.endMarkToken = endMarkToken;
        this.connections = requireNonNull(connections, "connections is null");
        this.replicationConnection = requireNonNull(replicationConnection, "replicationConnection is null");
        this.stream = requireNonNull(stream, "stream is null");
        this.slot = requireNonNull(slot, "slot is null");
        for (int i = 0; i < tables.size(); i++) {
            tablesByOid.put(tables.get(i).oid(), new SyncedTable(tables.get(i), schemas.get(i), specs.get(i)));
        }
        this.resumeLsn = start[0];
        this.resumeMessage = start[1];
        this.resumeEvent = start[2];
        this.heartbeatNanos = heartbeat.toNanos();
        this.maxBatch = maxBatch;
        this.flushedLsn = 0;
    }

    // ---------------------------------------------------------------- positions

    static Position position(long lsn, long message, long event) {
        return Position.of(lsn, message, event);
    }

    /** The triple of a position of this feed; throws naming the problem if it is not one. */
    static long[] parse(Position p) {
        if (p.size() != 3 || !(p.get(0) instanceof Long) || !(p.get(1) instanceof Long) || !(p.get(2) instanceof Long)) {
            throw new SyncException(ErrorType.CONFIG, "position " + p + " is not a PostgreSQL replication position"
                    + " (lsn, message, event); was the checkpoint written by another source?");
        }
        return new long[] {(Long) p.get(0), (Long) p.get(1), (Long) p.get(2)};
    }

    static int compare(long[] a, long[] b) {
        for (int i = 0; i < 3; i++) {
            int c = Long.compareUnsigned(a[i], b[i]);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    // ---------------------------------------------------------------- polling

    @Override
    public List<ChangeEvent> poll(Duration timeout) {
        checkOpen();
        long now = System.nanoTime();
        long deadline = now + Math.max(0, timeout.toNanos());
        List<Out> out = new ArrayList<>();
        long bytes = 0;
        long lingerUntil = -1;
        long park = 50_000;
        try {
            if (carried != null) {
                Message m = carried;
                carried = null;
                handle(m, carriedLsn, out);
            }
            while (true) {
                boolean full = out.size() >= maxBatch || bytes >= MAX_POLL_BYTES;
                ByteBuffer buf = stream.readPending();
                if (full) {
                    // one message more: a Commit right behind the last event lets that event carry the
                    // transaction's end position; anything else waits for the next poll
                    if (buf != null) {
                        long lsn = stream.getLastReceiveLSN().asLong();
                        Message m = decode(buf, lsn);
                        if (m instanceof Commit) {
                            handle(m, lsn, out);
                        } else {
                            carried = m;
                            carriedLsn = lsn;
                        }
                    }
                    break;
                }
                if (buf == null) {
                    if (stream.isClosed()) {
                        throw new RetriableException("replication slot '" + slot + "': the server ended the stream");
                    }
                    now = System.nanoTime();
                    if (out.isEmpty()) {
                        maybeHeartbeat(now);
                        if (now - deadline >= 0) {
                            break;
                        }
                    } else {
                        if (lingerUntil < 0) {
                            lingerUntil = now + LINGER_NANOS;
                        }
                        if (now - lingerUntil >= 0 || now - deadline >= 0) {
                            break;
                        }
                    }
                    LockSupport.parkNanos(Math.min(park, Math.max(1, deadline - now)));
                    park = Math.min(MAX_PARK_NANOS, park * 2);
                    continue;
                }
                lingerUntil = -1;
                park = 50_000;
                bytes += buf.remaining();
                long lsn = stream.getLastReceiveLSN().asLong();
                Message m = decode(buf, lsn);
                if (m instanceof Truncate && !out.isEmpty()) {
                    // a TRUNCATE starts the next poll: the engine empties a target before writing a poll's
                    // rows, so rows polled before the TRUNCATE must be written first
                    carried = m;
                    carriedLsn = lsn;
                    break;
                }
                handle(m, lsn, out);
            }
        } catch (SQLException e) {
            throw new RetriableException("replication slot '" + slot + "': connection lost: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            return List.of();
        }
        resolveUnchangedToast(out);
        List<ChangeEvent> events = new ArrayList<>(out.size());
        Out last = null;
        for (Out o : out) {
            if (!o.dropped) {
                last = o;
            }
        }
        if (last == null) {
            return List.of();
        }
        if (!inTransaction) {
            // every transaction read is complete: the last event may carry the position after all of them
            last.pos = new long[] {lastCommitEnd, 0, 0};
        }
        for (Out o : out) {
            if (!o.dropped) {
                events.add(o.toEvent());
            }
        }
        lastEmitted = last.pos;
        return events;
    }

    private Message decode(ByteBuffer buf, long lsn) {
        try {
            return PgoutputDecoder.decode(buf);
        } catch (IllegalArgumentException e) {
            throw new SyncException(ErrorType.INTERNAL, "replication slot '" + slot + "': cannot decode the"
                    + " message at LSN " + LogSequenceNumber.valueOf(lsn) + ": " + e.getMessage(), e);
        }
    }

    private void handle(Message m, long lsn, List<Out> out) {
        if (m instanceof Begin b) {
            inTransaction = true;
            txnLsn = b.finalLsn();
            messageIndex = 0;
            skipTransaction = Long.compareUnsigned(b.finalLsn(), resumeLsn) < 0;
            boolean resumed = b.finalLsn() == resumeLsn;
            skipMessage = resumed ? resumeMessage : 0;
            skipEvents = resumed ? resumeEvent : 0;
        } else if (m instanceof Commit c) {
            inTransaction = false;
            lastCommitEnd = c.endLsn();
            skipTransaction = false;
        } else if (m instanceof Relation r) {
            long oid = Integer.toUnsignedLong(r.oid());
            SyncedTable t = tablesByOid.get(oid);
            relations.put(oid, t == null ? RelationState.IGNORED : new RelationState(r, t));
        } else if (m instanceof Insert ins) {
            RelationState rs = dataMessage(ins.relationOid());
            if (rs != null) {
                Row row = rs.row(ins.newTuple());
                Out o = upsertOrSoftDelete(rs, row);
                o.kind = ChangeKind.INSERT;
                emit(out, rs, o, 1, lsn);
            }
        } else if (m instanceof Update u) {
            RelationState rs = dataMessage(u.relationOid());
            if (rs != null) {
                update(out, rs, u, lsn);
            }
        } else if (m instanceof Delete d) {
            RelationState rs = dataMessage(d.relationOid());
            if (rs != null) {
                Row old = rs.row(d.oldTuple());
                Object[] key = rs.key(old, "DELETE");
                boolean full = d.oldKind() == 'O' && old.missing == null;
                emit(out, rs, new Out(Operation.DELETE, rs.table, key, full ? old.values : null, null), 1, lsn);
            }
        } else if (m instanceof Truncate t) {
            if (!inTransaction) {
                throw protocol("TRUNCATE outside a transaction");
            }
            messageIndex++;
            if (skipTransaction || messageIndex < skipMessage) {
                return;
            }
            int[] oids = t.relationOids();
            for (int i = 0; i < oids.length; i++) {
                SyncedTable st = tablesByOid.get(Integer.toUnsignedLong(oids[i]));
                if (st != null && !skipped(i + 1)) {
                    Out o = new Out(Operation.TRUNCATE, st, null, null, null);
                    o.version = lsn;
                    o.pos = new long[] {txnLsn, messageIndex, i + 1};
                    out.add(o);
                }
            }
        }
        if (m instanceof LogicalMessage lm && endMarkToken != null && END_MARK_PREFIX.equals(lm.prefix())
                && endMarkToken.equals(new String(lm.content(), java.nio.charset.StandardCharsets.UTF_8))) {
            endMarkSeen = true;
        }
        // Type, Origin and other logical messages carry nothing to sync
    }

    /** Counts a data message; returns its relation, or null when it is skipped or of a table not synced. */
    private RelationState dataMessage(int relationOid) {
        if (!inTransaction) {
            throw protocol("data message outside a transaction");
        }
        messageIndex++;
        if (skipTransaction || messageIndex < skipMessage) {
            return null;
        }
        RelationState rs = relations.get(Integer.toUnsignedLong(relationOid));
        if (rs == null) {
            throw protocol("change of relation " + Integer.toUnsignedLong(relationOid) + " before its description");
        }
        return rs == RelationState.IGNORED ? null : rs;
    }

    private boolean skipped(int event) {
        return messageIndex == skipMessage && event <= skipEvents;
    }

    private void emit(List<Out> out, RelationState rs, Out o, int event, long lsn) {
        if (skipped(event)) {
            return;
        }
        o.version = lsn;
        o.pos = new long[] {txnLsn, messageIndex, event};
        out.add(o);
    }

    private void update(List<Out> out, RelationState rs, Update u, long lsn) {
        Row row = rs.row(u.newTuple());
        Object[] key = rs.key(row, "UPDATE");
        int event = 1;
        ChangeKind kind = ChangeKind.UPDATE;
        Object[] before = null;
        if (u.oldTuple() != null) {
            Row old = rs.row(u.oldTuple());
            Object[] oldKey = rs.key(old, "UPDATE");
            boolean full = u.oldKind() == 'O' && old.missing == null;
            if (!Arrays.deepEquals(oldKey, key)) {
                // a changed key: the old row goes, and the row under the new key is new there
                emit(out, rs, new Out(Operation.DELETE, rs.table, oldKey, full ? old.values : null, null), event, lsn);
                event++;
                kind = ChangeKind.INSERT;
            } else if (full) {
                before = old.values.clone();
            }
            if (u.oldKind() == 'O' && row.missing != null) {
                // REPLICA IDENTITY FULL: the old row carries unchanged large values in line
                row.fillFrom(old);
            }
        }
        Out o = upsertOrSoftDelete(rs, row);
        o.kind = kind;
        o.before = before;
        emit(out, rs, o, event, lsn);
    }

    private Out upsertOrSoftDelete(RelationState rs, Row row) {
        Object[] key = rs.key(row, "INSERT or UPDATE");
        SyncedTable t = rs.table;
        if (t.softDeleteIndex >= 0 && t.isSoftDeleted(row.values[t.softDeleteIndex], row.texts[t.softDeleteIndex])) {
            return new Out(Operation.DELETE, t, key, row.missing == null ? row.values : null, null);
        }
        Out o = new Out(Operation.UPSERT, t, key, row.values, row.missing);
        if (row.missing != null) {
            o.keyTexts = new String[t.keyIndexes.length];
            for (int i = 0; i < t.keyIndexes.length; i++) {
                o.keyTexts[i] = row.texts[t.keyIndexes[i]];
            }
        }
        return o;
    }

    private SyncException protocol(String what) {
        return new SyncException(ErrorType.INTERNAL, "replication slot '" + slot + "': unexpected pgoutput sequence: " + what);
    }

    // ---------------------------------------------------------------- unchanged TOAST values

    private void resolveUnchangedToast(List<Out> out) {
        boolean any = false;
        for (Out o : out) {
            if (o.missing != null) {
                any = true;
                break;
            }
        }
        if (!any) {
            return;
        }
        // pass 1: the last full row of the same key earlier in this poll
        Map<SyncedTable, Map<List<Object>, Object[]>> known = new IdentityHashMap<>();
        List<Out> fetch = new ArrayList<>();
        for (Out o : out) {
            Map<List<Object>, Object[]> rows = known.computeIfAbsent(o.table, k -> new HashMap<>());
            if (o.op == Operation.TRUNCATE) {
                rows.clear();
                continue;
            }
            List<Object> k = keyOf(o.key);
            if (o.op == Operation.DELETE) {
                rows.remove(k);
                continue;
            }
            if (o.missing != null) {
                Object[] prev = rows.get(k);
                if (prev != null) {
                    for (int c : o.missing) {
                        o.values[c] = prev[c];
                    }
                    o.missing = null;
                } else {
                    fetch.add(o);
                    rows.remove(k);
                    continue;
                }
            }
            rows.put(k, o.values);
        }
        // pass 2: the current row in the table
        Map<SyncedTable, List<Out>> byTable = new LinkedHashMap<>();
        for (Out o : fetch) {
            byTable.computeIfAbsent(o.table, k -> new ArrayList<>()).add(o);
        }
        for (Map.Entry<SyncedTable, List<Out>> e : byTable.entrySet()) {
            fetchCurrent(e.getKey(), e.getValue());
        }
    }

    private void fetchCurrent(SyncedTable t, List<Out> events) {
        TreeSet<Integer> columns = new TreeSet<>();
        Map<List<String>, Object[]> current = new HashMap<>();
        for (Out o : events) {
            for (int c : o.missing) {
                columns.add(c);
            }
            current.put(Arrays.asList(o.keyTexts), null);
        }
        List<String> names = t.schema.columnNames();
        StringBuilder select = new StringBuilder("SELECT ");
        // Keys as their type's output function prints them, which is what pgoutput sends: ::text would strip the
        // padding of char(n) and add /32 to inet, and the fetched rows would never match their events.
        for (int k : t.keyIndexes) {
            select.append("format('%s', t.").append(PgName.quote(names.get(k))).append("), ");
        }
        for (int c : columns) {
            select.append("t.").append(PgName.quote(names.get(c))).append("::text, ");
        }
        select.setLength(select.length() - 2);
        StringBuilder keyList = new StringBuilder();
        for (int k : t.keyIndexes) {
            keyList.append(keyList.length() == 0 ? "" : ", ").append("%1$s.").append(PgName.quote(names.get(k)));
        }
        String sql = select + " FROM " + t.ref.quoted() + " t WHERE (" + String.format(keyList.toString(), "t")
                + ") IN (SELECT " + String.format(keyList.toString(), "r") + " FROM json_populate_recordset(NULL::"
                + t.ref.quoted() + ", ?::json) r)";
        List<List<String>> keys = new ArrayList<>(current.keySet());
        try {
            Connection c = queryConnection();
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int from = 0; from < keys.size(); from += FETCH_CHUNK) {
                    List<Map<String, String>> param = new ArrayList<>();
                    for (List<String> key : keys.subList(from, Math.min(keys.size(), from + FETCH_CHUNK))) {
                        Map<String, String> m = new LinkedHashMap<>();
                        for (int i = 0; i < t.keyIndexes.length; i++) {
                            m.put(names.get(t.keyIndexes[i]), key.get(i));
                        }
                        param.add(m);
                    }
                    ps.setString(1, JSON.writeValueAsString(param));
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            List<String> key = new ArrayList<>(t.keyIndexes.length);
                            for (int i = 0; i < t.keyIndexes.length; i++) {
                                key.add(rs.getString(i + 1));
                            }
                            Object[] row = new Object[names.size()];
                            int i = t.keyIndexes.length + 1;
                            for (int col : columns) {
                                row[col] = t.convert(col, rs.getString(i++), key);
                            }
                            current.put(key, row);
                        }
                    }
                }
            }
        } catch (SQLException e) {
            closeQueryConnection();
            throw new RetriableException("table '" + t.spec.table() + "': cannot read unchanged large values of "
                    + events.size() + " updated row(s): " + e.getMessage(), e);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        for (Out o : events) {
            Object[] row = current.get(Arrays.asList(o.keyTexts));
            if (row == null) {
                // gone since: a later DELETE of this key follows in the stream
                o.dropped = true;
                LOG.debug("table '{}', key {}: row deleted since the update; its event is superseded", t.spec.table(),
                        Arrays.toString(o.key));
                continue;
            }
            for (int c : o.missing) {
                o.values[c] = row[c];
            }
            o.missing = null;
        }
    }

    private Connection queryConnection() {
        if (queryConnection == null) {
            queryConnection = connections.open();
        }
        return queryConnection;
    }

    private void closeQueryConnection() {
        if (queryConnection != null) {
            try {
                queryConnection.close();
            } catch (SQLException e) {
                // discarded after a failure
            }
            queryConnection = null;
        }
    }

    private static List<Object> keyOf(Object[] key) {
        List<Object> k = new ArrayList<>(key.length);
        for (Object v : key) {
            k.add(v instanceof byte[] ? ByteBuffer.wrap((byte[]) v) : v);
        }
        return k;
    }

    // ---------------------------------------------------------------- acknowledgement and heartbeats

    @Override
    public void acknowledge(Position flushed) {
        checkOpen();
        long[] p = parse(requireNonNull(flushed, "flushed is null"));
        if (lastAcknowledged == null || compare(p, lastAcknowledged) > 0) {
            lastAcknowledged = p;
        }
        // (L, m, e) keeps transaction L in the slot; (E, 0, 0) releases everything before E
        long lsn = p[0];
        if (idle()) {
            lsn = Math.max(lsn, processedLsn());
        }
        try {
            flushTo(lsn);
            stream.forceUpdateStatus();
            lastHeartbeat = System.nanoTime();
        } catch (SQLException e) {
            // the next poll reports the broken connection; the engine reopens from the saved position
            LOG.warn("replication slot '{}': cannot report flushed LSN {}: {}", slot, LogSequenceNumber.valueOf(lsn),
                    e.getMessage());
        }
    }

    /**
     * Whether everything committed before the stream was opened has been delivered: the end marker came through,
     * or the server reported processing the WAL past its position with no transaction half read.
     */
    @Override
    public boolean caughtUp() {
        return endMarkSeen || !inTransaction && Long.compareUnsigned(processedLsn(), endMarkLsn) >= 0;
    }

    /**
     * With everything polled acknowledged and no transaction half read: the position up to which the server
     * reported the WAL processed, so a quiet feed's saved position follows the slot.
     */
    @Override
    public Position idlePosition() {
        return closed || !idle() ? null : position(processedLsn(), 0, 0);
    }

    /** Whether everything polled is acknowledged and no transaction is half read. */
    private boolean idle() {
        return !inTransaction
                && (lastEmitted == null || (lastAcknowledged != null && compare(lastAcknowledged, lastEmitted) >= 0));
    }

    /**
     * The LSN up to which the server has sent everything: the end of the last transaction read, or the WAL
     * position of a later keepalive message (pgjdbc keeps the larger in its last received LSN).
     */
    private long processedLsn() {
        return Math.max(lastCommitEnd, stream.getLastReceiveLSN().asLong());
    }

    private void flushTo(long lsn) {
        if (Long.compareUnsigned(lsn, flushedLsn) > 0) {
            LogSequenceNumber l = LogSequenceNumber.valueOf(lsn);
            stream.setFlushedLSN(l);
            stream.setAppliedLSN(l);
            flushedLsn = lsn;
        }
    }

    private void maybeHeartbeat(long now) throws SQLException {
        if (now - lastHeartbeat < heartbeatNanos) {
            return;
        }
        lastHeartbeat = now;
        if (lastAcknowledged != null && idle()) {
            // only once the engine acknowledged something on this stream: until then it may hold the slot back
            flushTo(processedLsn());
        }
        stream.forceUpdateStatus();
    }

    /** The LSN last reported as flushed to the server (0 before the first report). */
    long flushedLsn() {
        return flushedLsn;
    }

    // ---------------------------------------------------------------- lifecycle

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("replication stream of slot '" + slot + "' is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stream.close();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("replication slot '{}': stopping the stream: {}", slot, e.toString());
        }
        try {
            replicationConnection.close();
        } catch (SQLException e) {
            LOG.debug("replication slot '{}': closing the connection: {}", slot, e.toString());
        }
        closeQueryConnection();
    }

    // ---------------------------------------------------------------- helpers

    /** A synced table: its spec, schema and what the stream needs to build events. */
    private static final class SyncedTable {
        final PgTableRef ref;
        final TableSchema schema;
        final TableSpec spec;
        final int[] keyIndexes;
        final int softDeleteIndex;

        SyncedTable(PgTableRef ref, TableSchema schema, TableSpec spec) {
            this.ref = ref;
            this.schema = schema;
            this.spec = spec;
            this.keyIndexes = schema.keyIndexes();
            this.softDeleteIndex = spec.softDeleteColumn() == null ? -1 : schema.indexOf(spec.softDeleteColumn());
            if (spec.softDeleteColumn() != null && softDeleteIndex < 0) {
                throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "': soft-delete column '"
                        + spec.softDeleteColumn() + "' does not exist");
            }
            if (softDeleteIndex >= 0) {
                SoftDelete.check(spec, schema.columns().get(softDeleteIndex));
            }
        }

        /** The snapshot's rule ({@link SoftDelete}) on pgoutput's text, which is the output function's text too. */
        boolean isSoftDeleted(Object value, String text) {
            if (value == null) {
                return false;
            }
            LogicalType type = schema.columns().get(softDeleteIndex).type();
            if (text == null) {
                // an unchanged value kept from an earlier message: booleans and strings print the same
                text = value instanceof Boolean ? ((Boolean) value ? "t" : "f") : String.valueOf(value);
            }
            return SoftDelete.matches(type, spec.softDeleteValue(), text);
        }

        Object convert(int column, String text, Object keyForMessage) {
            Column c = schema.columns().get(column);
            try {
                return PgTextValues.parse(c, text);
            } catch (RuntimeException e) {
                throw new SyncException(ErrorType.DATA, "table '" + spec.table() + "', key " + keyForMessage
                        + ", column '" + c.name() + "': cannot read " + c.type() + " value '" + abbreviate(text)
                        + "': " + e.getMessage(), e);
            }
        }

        private static String abbreviate(String s) {
            return s.length() <= 80 ? s : s.substring(0, 77) + "...";
        }
    }

    /** How the columns of a relation message map to a synced table's schema. */
    private static final class RelationState {
        static final RelationState IGNORED = new RelationState();

        final SyncedTable table;
        /** Per relation column, the schema column index or -1. */
        final int[] toSchema;

        private RelationState() {
            this.table = null;
            this.toSchema = null;
        }

        RelationState(Relation r, SyncedTable t) {
            this.table = t;
            List<RelColumn> cols = r.columns();
            this.toSchema = new int[cols.size()];
            boolean[] seen = new boolean[t.schema.columns().size()];
            boolean[] identity = new boolean[seen.length];
            for (int i = 0; i < cols.size(); i++) {
                int s = t.schema.indexOf(cols.get(i).name());
                toSchema[i] = s;
                if (s >= 0) {
                    seen[s] = true;
                    identity[s] = cols.get(i).key();
                } else {
                    // a column added while the feed runs: the target must get it, and every row its value
                    throw new FeedLostException("table '" + t.spec.table() + "' gained column '" + cols.get(i).name()
                            + "' while the change feed ran: its schema changed, so the feed's tables are read afresh");
                }
            }
            for (int s = 0; s < seen.length; s++) {
                if (!seen[s]) {
                    throw new SyncException(ErrorType.EXTERNAL, "table '" + t.spec.table() + "': column '"
                            + t.schema.columns().get(s).name() + "' is not in the replication stream (dropped, or"
                            + " left out by a column list of the publication)");
                }
            }
            if (r.replicaIdentity() != 'f') {
                for (int k : t.keyIndexes) {
                    if (!identity[k]) {
                        throw new SyncException(ErrorType.EXTERNAL, "table '" + t.spec.table() + "': key column '"
                                + t.schema.columns().get(k).name() + "' is not part of the table's replica identity, so"
                                + " deletes and key changes cannot be matched; run ALTER TABLE " + t.ref.quoted()
                                + " REPLICA IDENTITY FULL (or USING INDEX a unique index on the key)");
                    }
                }
            }
        }

        Row row(Tuple tuple) {
            int n = table.schema.columns().size();
            Object[] values = new Object[n];
            String[] texts = new String[n];
            int[] missing = null;
            int missingCount = 0;
            byte[] kinds = tuple.kinds();
            String[] raw = tuple.values();
            int cols = Math.min(kinds.length, toSchema.length);
            for (int i = 0; i < cols; i++) {
                int s = toSchema[i];
                if (s < 0) {
                    continue;
                }
                byte kind = kinds[i];
                if (kind == PgoutputDecoder.TEXT) {
                    texts[s] = raw[i];
                    values[s] = table.convert(s, raw[i], "?");
                } else if (kind == PgoutputDecoder.UNCHANGED_TOAST) {
                    if (missing == null) {
                        missing = new int[n];
                    }
                    missing[missingCount++] = s;
                } else if (kind == PgoutputDecoder.BINARY) {
                    throw new SyncException(ErrorType.INTERNAL, "table '" + table.spec.table()
                            + "': binary column value in a text-mode stream");
                }
            }
            return new Row(values, texts, missing == null ? null : Arrays.copyOf(missing, missingCount));
        }

        Object[] key(Row row, String what) {
            Object[] key = new Object[table.keyIndexes.length];
            for (int i = 0; i < key.length; i++) {
                int k = table.keyIndexes[i];
                if (row.texts[k] == null) {
                    throw new SyncException(ErrorType.EXTERNAL, "table '" + table.spec.table() + "': a " + what
                            + " arrived without a value for key column '" + table.schema.columns().get(k).name()
                            + "'; is the key the table's replica identity?");
                }
                key[i] = row.values[k];
            }
            return key;
        }
    }

    /** Column values of one tuple, aligned with the schema; {@code missing} lists unchanged TOAST columns. */
    private static final class Row {
        final Object[] values;
        final String[] texts;
        int[] missing;

        Row(Object[] values, String[] texts, int[] missing) {
            this.values = values;
            this.texts = texts;
            this.missing = missing;
        }

        /** Takes unchanged values from the full old row; what the old row lacks stays missing. */
        void fillFrom(Row old) {
            int[] still = new int[missing.length];
            int n = 0;
            for (int c : missing) {
                boolean oldMissing = false;
                if (old.missing != null) {
                    for (int m : old.missing) {
                        oldMissing |= m == c;
                    }
                }
                if (oldMissing) {
                    still[n++] = c;
                } else {
                    values[c] = old.values[c];
                    texts[c] = old.texts[c];
                }
            }
            missing = n == 0 ? null : Arrays.copyOf(still, n);
        }
    }

    /** An event being built by a poll. */
    private static final class Out {
        final Operation op;
        final SyncedTable table;
        final Object[] key;
        final Object[] values;
        int[] missing;
        String[] keyTexts;
        long version;
        long[] pos;
        boolean dropped;
        /** For an UPSERT: whether the feed saw an insert or an update. */
        ChangeKind kind = ChangeKind.UNKNOWN;
        /** The old row of an update, when the server sent it whole (REPLICA IDENTITY FULL). */
        Object[] before;

        Out(Operation op, SyncedTable table, Object[] key, Object[] values, int[] missing) {
            this.op = op;
            this.table = table;
            this.key = key;
            this.values = values;
            this.missing = missing;
        }

        ChangeEvent toEvent() {
            Position p = position(pos[0], pos[1], pos[2]);
            String name = table.spec.table();
            switch (op) {
                case UPSERT:
                    if (kind == ChangeKind.INSERT) {
                        return ChangeEvent.insert(name, key, values, version, p);
                    } else if (kind == ChangeKind.UPDATE) {
                        return ChangeEvent.update(name, key, values, before, version, p);
                    }
                    return ChangeEvent.upsert(name, key, values, version, p);
                case DELETE:
                    return ChangeEvent.delete(name, key, values, version, p);
                default:
                    return ChangeEvent.truncate(name, version, p);
            }
        }
    }
}
