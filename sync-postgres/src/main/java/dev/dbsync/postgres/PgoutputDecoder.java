package dev.dbsync.postgres;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes the messages of PostgreSQL's built-in logical decoding output plugin {@code pgoutput}, protocol
 * version 1 (the version {@link PgChangeStream} asks for; see there why not 2). The format is documented in
 * the PostgreSQL manual, "Logical Replication Message Formats".
 *
 * <p>Stateless and thread-safe: each call reads one message from the buffer (the payload of one
 * {@code XLogData} message, as pgjdbc's replication stream hands it out) and returns an immutable object.
 * Relation bookkeeping (which OID is which table) is the caller's business.
 */
final class PgoutputDecoder {

    /** Column kinds in a {@link Tuple}. */
    static final byte NULL = 'n';
    /** An unchanged TOAST value: the server did not send it (see {@link PgChangeStream}). */
    static final byte UNCHANGED_TOAST = 'u';
    static final byte TEXT = 't';
    static final byte BINARY = 'b';

    private PgoutputDecoder() {
    }

    /** One decoded pgoutput message. */
    sealed interface Message permits Begin, Commit, Origin, Relation, Type, Insert, Update, Delete, Truncate,
            LogicalMessage {
    }

    /**
     * Start of a transaction.
     *
     * @param finalLsn   LSN of the transaction's commit record (the same as {@link Commit#commitLsn()})
     * @param commitTime commit time in microseconds since 2000-01-01 UTC (PostgreSQL's epoch)
     * @param xid        transaction id
     */
    record Begin(long finalLsn, long commitTime, int xid) implements Message {
    }

    /**
     * End of a transaction.
     *
     * @param commitLsn LSN of the commit record
     * @param endLsn    LSN just past the commit record: a replication started there skips this transaction
     */
    record Commit(int flags, long commitLsn, long endLsn, long commitTime) implements Message {
    }

    /** The transaction came from another node through replication origin {@code name}. */
    record Origin(long originLsn, String name) implements Message {
    }

    /**
     * The shape of a published table, sent before the first change of the table in a session and again
     * after its definition changed.
     *
     * @param namespace       schema name ({@code pg_catalog} when the server sends an empty string)
     * @param replicaIdentity {@code d} default (primary key), {@code n} nothing, {@code f} full, {@code i} index
     */
    record Relation(int oid, String namespace, String name, char replicaIdentity, List<RelColumn> columns)
            implements Message {
    }

    /**
     * One column of a {@link Relation}.
     *
     * @param key whether the column is part of the replica identity (the key sent for deletes)
     */
    record RelColumn(boolean key, String name, int typeOid, int typeModifier) {
    }

    /** A data type that is not built in, sent before a relation that uses it. */
    record Type(int oid, String namespace, String name) implements Message {
    }

    /** A new row. */
    record Insert(int relationOid, Tuple newTuple) implements Message {
    }

    /**
     * A changed row.
     *
     * @param oldKind  {@code K} when {@code oldTuple} holds only the replica identity columns (sent when they
     *                 changed), {@code O} when it holds the whole old row (REPLICA IDENTITY FULL), 0 when
     *                 there is no old tuple
     * @param oldTuple the old key or row; null when {@code oldKind} is 0
     */
    record Update(int relationOid, char oldKind, Tuple oldTuple, Tuple newTuple) implements Message {
    }

    /**
     * A removed row.
     *
     * @param oldKind {@code K} (key columns only, others null) or {@code O} (the whole old row)
     */
    record Delete(int relationOid, char oldKind, Tuple oldTuple) implements Message {
    }

    /**
     * Tables emptied by one TRUNCATE statement.
     *
     * @param options bit 1 CASCADE, bit 2 RESTART IDENTITY
     */
    record Truncate(int options, int[] relationOids) implements Message {
    }

    /** A message written with {@code pg_logical_emit_message} (only sent when the "messages" option is on). */
    record LogicalMessage(int flags, long lsn, String prefix, byte[] content) implements Message {
    }

    /**
     * The column values of one row, aligned with the columns of its {@link Relation}.
     *
     * @param kinds  per column {@link #NULL}, {@link #UNCHANGED_TOAST}, {@link #TEXT} or {@link #BINARY}
     * @param values per column the text value ({@code TEXT}); null for other kinds
     */
    record Tuple(byte[] kinds, String[] values) {

        Tuple {
            requireNonNull(kinds, "kinds is null");
            requireNonNull(values, "values is null");
        }

        int size() {
            return kinds.length;
        }

        boolean hasUnchangedToast() {
            for (byte k : kinds) {
                if (k == UNCHANGED_TOAST) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * Decodes one message; the buffer's position is advanced past it.
     *
     * @throws IllegalArgumentException on an unknown message type or a malformed message
     */
    static Message decode(ByteBuffer buf) {
        try {
            byte type = buf.get();
            switch (type) {
                case 'B':
                    return new Begin(buf.getLong(), buf.getLong(), buf.getInt());
                case 'C':
                    return new Commit(buf.get(), buf.getLong(), buf.getLong(), buf.getLong());
                case 'O':
                    return new Origin(buf.getLong(), readString(buf));
                case 'R':
                    return relation(buf);
                case 'Y':
                    return new Type(buf.getInt(), namespace(readString(buf)), readString(buf));
                case 'I': {
                    int oid = buf.getInt();
                    expect(buf, 'N', "insert");
                    return new Insert(oid, tuple(buf));
                }
                case 'U':
                    return update(buf);
                case 'D': {
                    int oid = buf.getInt();
                    byte kind = buf.get();
                    if (kind != 'K' && kind != 'O') {
                        throw new IllegalArgumentException("pgoutput delete: expected 'K' or 'O', got " + describe(kind));
                    }
                    return new Delete(oid, (char) kind, tuple(buf));
                }
                case 'T': {
                    int n = buf.getInt();
                    int options = buf.get();
                    int[] oids = new int[n];
                    for (int i = 0; i < n; i++) {
                        oids[i] = buf.getInt();
                    }
                    return new Truncate(options, oids);
                }
                case 'M': {
                    int flags = buf.get();
                    long lsn = buf.getLong();
                    String prefix = readString(buf);
                    byte[] content = new byte[buf.getInt()];
                    buf.get(content);
                    return new LogicalMessage(flags, lsn, prefix, content);
                }
                default:
                    // 'S','E','c','A' (streamed transactions) and two-phase messages are never asked for
                    throw new IllegalArgumentException("unexpected pgoutput message type " + describe(type));
            }
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("truncated pgoutput message", e);
        }
    }

    private static Relation relation(ByteBuffer buf) {
        int oid = buf.getInt();
        String namespace = namespace(readString(buf));
        String name = readString(buf);
        char identity = (char) buf.get();
        int n = buf.getShort() & 0xffff;
        List<RelColumn> columns = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int flags = buf.get();
            String col = readString(buf);
            columns.add(new RelColumn((flags & 1) != 0, col, buf.getInt(), buf.getInt()));
        }
        return new Relation(oid, namespace, name, identity, List.copyOf(columns));
    }

    private static Update update(ByteBuffer buf) {
        int oid = buf.getInt();
        byte kind = buf.get();
        Tuple old = null;
        char oldKind = 0;
        if (kind == 'K' || kind == 'O') {
            oldKind = (char) kind;
            old = tuple(buf);
            kind = buf.get();
        }
        if (kind != 'N') {
            throw new IllegalArgumentException("pgoutput update: expected 'N', got " + describe(kind));
        }
        return new Update(oid, oldKind, old, tuple(buf));
    }

    private static Tuple tuple(ByteBuffer buf) {
        int n = buf.getShort() & 0xffff;
        byte[] kinds = new byte[n];
        String[] values = new String[n];
        for (int i = 0; i < n; i++) {
            byte kind = buf.get();
            kinds[i] = kind;
            switch (kind) {
                case NULL:
                case UNCHANGED_TOAST:
                    break;
                case TEXT: {
                    int len = buf.getInt();
                    values[i] = utf8(buf, len);
                    break;
                }
                case BINARY: {
                    // only sent with the "binary" option, which is never asked for; skip it intact
                    int len = buf.getInt();
                    buf.position(buf.position() + len);
                    break;
                }
                default:
                    throw new IllegalArgumentException("pgoutput tuple: unknown column kind " + describe(kind));
            }
        }
        return new Tuple(kinds, values);
    }

    private static String utf8(ByteBuffer buf, int len) {
        String s;
        if (buf.hasArray()) {
            s = new String(buf.array(), buf.arrayOffset() + buf.position(), len, StandardCharsets.UTF_8);
            buf.position(buf.position() + len);
        } else {
            byte[] b = new byte[len];
            buf.get(b);
            s = new String(b, StandardCharsets.UTF_8);
        }
        return s;
    }

    private static String readString(ByteBuffer buf) {
        int start = buf.position();
        int end = start;
        while (buf.get(end) != 0) {
            end++;
        }
        String s;
        if (buf.hasArray()) {
            s = new String(buf.array(), buf.arrayOffset() + start, end - start, StandardCharsets.UTF_8);
        } else {
            byte[] b = new byte[end - start];
            buf.get(start, b);
            s = new String(b, StandardCharsets.UTF_8);
        }
        buf.position(end + 1);
        return s;
    }

    private static String namespace(String ns) {
        // pgoutput sends an empty namespace for pg_catalog
        return ns.isEmpty() ? "pg_catalog" : ns;
    }

    private static void expect(ByteBuffer buf, char expected, String what) {
        byte b = buf.get();
        if (b != expected) {
            throw new IllegalArgumentException("pgoutput " + what + ": expected '" + expected + "', got " + describe(b));
        }
    }

    private static String describe(byte b) {
        return b >= 32 && b < 127 ? "'" + (char) b + "'" : "0x" + Integer.toHexString(b & 0xff);
    }
}
