package dev.dbsync.postgres;

import static java.util.Objects.requireNonNull;

import dev.dbsync.spi.ChangeStream;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.FeedLostException;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Change data capture through PostgreSQL logical replication with the built-in {@code pgoutput} plugin:
 * manages the publication and the logical replication slot, and opens {@link PgChangeStream}s on them.
 *
 * <p>Positions of this feed are {@code (lsn, message, event)} triples of longs, described in
 * {@link PgChangeStream}; {@link #streamStart} returns {@code (lsn, 0, 0)}: every transaction whose commit
 * record starts at or after {@code lsn} is delivered.
 *
 * <p>Requirements on the server: {@code wal_level = logical}, a free replication slot and WAL sender, and a
 * user with the REPLICATION attribute who owns the tables (to create or extend the publication). Every table
 * needs a replica identity that covers the sync key (its primary key by default, or REPLICA IDENTITY FULL):
 * {@link #streamStart} refuses tables without one, because PostgreSQL rejects UPDATE and DELETE statements
 * on a published table that has none.
 *
 * <p>The slot retains WAL until the stream acknowledges it. A pipeline that is abandoned must drop its slot
 * ({@link #dropSlot()}), or the server's disk fills up.
 *
 * <p>Thread-safe: every call opens its own connections.
 */
final class PgReplication {

    /** How often an idle stream reports its position, by default. */
    static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(10);
    /** Most events one poll returns, by default. */
    static final int DEFAULT_MAX_BATCH = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(PgReplication.class);
    private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");

    private final PgConnectionFactory connections;
    private final String defaultSchema;
    private final String slotName;
    private final String publicationName;
    private final Duration heartbeat;
    private final int maxBatch;

    PgReplication(PgConnectionFactory connections, String slotName, String publicationName) {
        this(connections, "public", slotName, publicationName, DEFAULT_HEARTBEAT, DEFAULT_MAX_BATCH);
    }

    /**
     * @param defaultSchema the schema of table names without one
     * @param heartbeat how often an idle stream sends a status update to the server and advances the slot
     *                  past WAL that holds nothing for it
     * @param maxBatch  most events returned by one poll
     */
    PgReplication(PgConnectionFactory connections, String defaultSchema, String slotName, String publicationName,
                  Duration heartbeat, int maxBatch) {
        this.connections = requireNonNull(connections, "connections is null");
        this.defaultSchema = requireNonNull(defaultSchema, "defaultSchema is null");
        this.slotName = requireNonNull(slotName, "slotName is null");
        this.publicationName = requireNonNull(publicationName, "publicationName is null");
        this.heartbeat = requireNonNull(heartbeat, "heartbeat is null");
        if (!SLOT_NAME.matcher(slotName).matches()) {
            throw new ConfigException("slot.name", "replication slot name '" + slotName
                    + "' must be 1 to 63 lower-case letters, digits or underscores");
        }
        if (publicationName.isBlank()) {
            throw new ConfigException("publication.name", "publication name is blank");
        }
        if (heartbeat.isNegative() || heartbeat.isZero()) {
            throw new ConfigException("slot.heartbeat", "heartbeat interval must be positive, got " + heartbeat);
        }
        if (maxBatch < 1) {
            throw new ConfigException("slot.max.batch", "most events per poll must be at least 1, got " + maxBatch);
        }
        this.maxBatch = maxBatch;
    }

    String slotName() {
        return slotName;
    }

    String publicationName() {
        return publicationName;
    }

    /**
     * Creates the publication {@code FOR TABLE …} these tables, or adds the missing ones to it; creates the
     * logical slot with plugin {@code pgoutput} if it does not exist. Returns the position from which every
     * change committed after this call is delivered: for a new slot its consistent point, for an existing
     * one its {@code confirmed_flush_lsn} (changes since then are delivered again; writes are idempotent).
     */
    Position streamStart(List<TableSpec> specs) {
        requireNonNull(specs, "specs is null");
        try (Connection c = connections.open()) {
            List<PgTableRef> tables = new ArrayList<>();
            for (TableSpec spec : specs) {
                PgTableRef t = PgTableRef.resolve(c, spec.table(), defaultSchema);
                checkReplicaIdentity(c, t);
                tables.add(t);
            }
            ensurePublication(c, tables);
            long lsn = ensureSlot(c);
            LOG.info("replication slot {} on publication {} starts at {}", slotName, publicationName,
                    LogSequenceNumber.valueOf(lsn));
            return PgChangeStream.position(lsn, 0, 0);
        } catch (SQLException e) {
            throw sqlError("prepare replication slot '" + slotName + "' and publication '" + publicationName + "'", e);
        }
    }

    /**
     * Opens the feed at {@code from} (a position of this feed, or null for the slot's confirmed position).
     * {@code schemas} and {@code specs} are aligned: the schema of {@code specs.get(i)} is {@code schemas.get(i)}.
     */
    ChangeStream open(List<TableSchema> schemas, List<TableSpec> specs, Position from) {
        requireNonNull(schemas, "schemas is null");
        requireNonNull(specs, "specs is null");
        if (schemas.size() != specs.size()) {
            throw new IllegalArgumentException(schemas.size() + " schemas for " + specs.size() + " table specs");
        }
        long[] start = from == null ? new long[3] : PgChangeStream.parse(from);
        List<PgTableRef> tables = new ArrayList<>();
        boolean messages;
        long markLsn;
        String markToken = slotName + ":" + java.util.UUID.randomUUID();
        try (Connection c = connections.open()) {
            messages = c.getMetaData().getDatabaseMajorVersion() >= 14;
            Set<Long> published = publishedTables(c);
            boolean all = publishesAllTables(c);
            for (TableSpec spec : specs) {
                PgTableRef t = PgTableRef.resolve(c, spec.table(), defaultSchema);
                if (!all && !published.contains(t.oid())) {
                    throw new SyncException(ErrorType.EXTERNAL, "table '" + spec.table() + "' is not in publication '"
                            + publicationName + "'; prepare the feed for it first (streamStart)");
                }
                tables.add(t);
            }
            waitUntilSlotFree(c);
            if (checkSlot(c) == null) {
                throw new FeedLostException("replication slot '" + slotName + "' does not exist (dropped, or never"
                        + " created for this feed): the changes since the saved position " + LogSequenceNumber.valueOf(start[0])
                        + " are gone");
            }
            markLsn = markEnd(c, messages, markToken);
        } catch (SQLException e) {
            throw sqlError("open replication slot '" + slotName + "'", e);
        }
        Connection rc = connections.openReplication();
        try {
            org.postgresql.replication.fluent.logical.ChainedLogicalStreamBuilder builder = rc.unwrap(PGConnection.class)
                    .getReplicationAPI()
                    .replicationStream()
                    .logical()
                    .withSlotName(slotName)
                    // version 1: transactions arrive whole, at commit, so an event's position (commit LSN,
                    // message index) stays valid when a stream restarts; version 2 would stream large
                    // transactions before their commit, and a later abort would void delivered events
                    .withSlotOption("proto_version", "1")
                    .withSlotOption("publication_names", PgName.quote(publicationName));
            if (messages) {
                // the end marker below arrives as a logical decoding message
                builder = builder.withSlotOption("messages", "true");
            }
            PGReplicationStream stream = builder
                    .withStartPosition(LogSequenceNumber.valueOf(start[0]))
                    // the slot moves only when the stream says so: the engine may hold it back to open the slot
                    // again at an older position (pgjdbc would otherwise report a keepalive's LSN as flushed)
                    .withAutomaticFlush(false)
                    .withStatusInterval((int) Math.min(Integer.MAX_VALUE, heartbeat.toMillis()), TimeUnit.MILLISECONDS)
                    .start();
            LOG.info("replication slot {}: streaming from {} (message {}, event {})", slotName,
                    LogSequenceNumber.valueOf(start[0]), start[1], start[2]);
            return new PgChangeStream(connections, rc, stream, slotName, tables, schemas, specs, start,
                    heartbeat, maxBatch, markLsn, messages ? markToken : null);
        } catch (SQLException e) {
            closeQuietly(rc);
            throw sqlError("start streaming from replication slot '" + slotName + "'", e);
        } catch (RuntimeException e) {
            closeQuietly(rc);
            throw e;
        }
    }

    /**
     * Marks the present end of the WAL, so the stream can tell when it has delivered everything committed before
     * it was opened: a non-transactional logical decoding message carrying {@code token} (PostgreSQL 14+, where
     * pgoutput forwards such messages), whose LSN is returned; without it, or when the sync user may not emit one,
     * the current WAL position.
     */
    private long markEnd(Connection c, boolean messages, String token) throws SQLException {
        if (messages) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_logical_emit_message(false, ?, ?)::text")) {
                ps.setString(1, PgChangeStream.END_MARK_PREFIX);
                ps.setString(2, token);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return LogSequenceNumber.valueOf(rs.getString(1)).asLong();
                }
            } catch (SQLException e) {
                LOG.debug("replication slot {}: no end marker ({}); comparing WAL positions instead", slotName, e.getMessage());
                if (!c.getAutoCommit()) {
                    c.rollback();
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_current_wal_lsn()::text"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return LogSequenceNumber.valueOf(rs.getString(1)).asLong();
        }
    }

    /** Drops the slot (so it no longer retains WAL); does nothing if it does not exist. */
    void dropSlot() {
        try (Connection c = connections.open();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slotName);
            ps.execute();
        } catch (SQLException e) {
            throw sqlError("drop replication slot '" + slotName + "'", e);
        }
    }

    /**
     * The slot's retained WAL (current position − restart position) and lag (current position − confirmed flush
     * position), with whether a process streams from it and whether the server lost WAL it needs; empty when the slot
     * does not exist (yet). One query on a fresh connection.
     */
    java.util.Optional<dev.dbsync.spi.FeedStatus> feedStatus() {
        try (Connection c = connections.open();
             PreparedStatement ps = c.prepareStatement("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint,"
                     + " pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint, active, to_jsonb(s) ->> 'wal_status'"
                     + " FROM pg_replication_slots s WHERE slot_name = ?")) {
            ps.setString(1, slotName);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return java.util.Optional.empty();
                }
                long retained = rs.getLong(1);
                if (rs.wasNull()) {
                    retained = -1;
                }
                long lag = rs.getLong(2);
                if (rs.wasNull()) {
                    lag = -1;
                }
                String detail = "replication slot '" + slotName + "', " + (rs.getBoolean(3) ? "streaming" : "not streaming")
                        + ", wal_status " + rs.getString(4);
                return java.util.Optional.of(new dev.dbsync.spi.FeedStatus(retained, lag, detail));
            }
        } catch (SQLException e) {
            throw sqlError("read the status of replication slot '" + slotName + "'", e);
        }
    }

    /**
     * Drops the slot, refusing while a process streams from it, and the publication when no other logical slot
     * of this database remains (any other pipeline reading this database has its own slot and may read through
     * the same publication). Returns what it did.
     */
    String dropFeed() {
        List<String> done = new ArrayList<>();
        try (Connection c = connections.open()) {
            waitUntilSlotFree(c);
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(),"
                    + " restart_lsn)), pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, slotName);
                try (ResultSet rs = ps.executeQuery()) {
                    done.add(rs.next() ? "replication slot '" + slotName + "' dropped (it retained " + rs.getString(1) + " of WAL)"
                            : "replication slot '" + slotName + "' did not exist");
                }
            }
            long others;
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_replication_slots"
                    + " WHERE database = current_database() AND slot_type = 'logical' AND slot_name <> ?")) {
                ps.setString(1, slotName);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    others = rs.getLong(1);
                }
            }
            boolean exists;
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
                ps.setString(1, publicationName);
                try (ResultSet rs = ps.executeQuery()) {
                    exists = rs.next();
                }
            }
            if (!exists) {
                done.add("publication '" + publicationName + "' did not exist");
            } else if (others > 0) {
                done.add("publication '" + publicationName + "' kept: " + others + " other replication slot(s) of this"
                        + " database may read through it (a publication retains nothing)");
            } else {
                try (Statement st = c.createStatement()) {
                    st.execute("DROP PUBLICATION " + PgName.quote(publicationName));
                }
                done.add("publication '" + publicationName + "' dropped");
            }
        } catch (SQLException e) {
            throw sqlError("drop replication slot '" + slotName + "' and publication '" + publicationName + "'", e);
        }
        return String.join("; ", done);
    }

    /** The slot's {@code confirmed_flush_lsn}, or -1 if the slot does not exist. */
    long confirmedFlushLsn() {
        try (Connection c = connections.open();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slotName);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? LogSequenceNumber.valueOf(rs.getString(1)).asLong() : -1;
            }
        } catch (SQLException e) {
            throw sqlError("read replication slot '" + slotName + "'", e);
        }
    }

    private void checkReplicaIdentity(Connection c, PgTableRef t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT c.relreplident, EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)"
                        + " FROM pg_class c WHERE c.oid = ?")) {
            ps.setLong(1, t.oid());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String identity = rs.getString(1);
                boolean hasPk = rs.getBoolean(2);
                if (identity.equals("n") || (identity.equals("d") && !hasPk)) {
                    throw new SyncException(ErrorType.EXTERNAL, "table '" + t.display() + "' has no replica identity"
                            + " (no primary key, or REPLICA IDENTITY NOTHING); updates and deletes could not be"
                            + " captured and PostgreSQL would reject them once the table is published. Run ALTER TABLE "
                            + t.quoted() + " REPLICA IDENTITY FULL (or USING INDEX a unique index on the key)");
                }
            }
        }
    }

    private void ensurePublication(Connection c, List<PgTableRef> tables) throws SQLException {
        for (int attempt = 0; ; attempt++) {
            try {
                Boolean all = null;
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT puballtables, pubinsert, pubupdate, pubdelete, pubtruncate FROM pg_publication WHERE pubname = ?")) {
                    ps.setString(1, publicationName);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            all = rs.getBoolean(1);
                            if (!(rs.getBoolean(2) && rs.getBoolean(3) && rs.getBoolean(4) && rs.getBoolean(5))) {
                                throw new SyncException(ErrorType.EXTERNAL, "publication '" + publicationName
                                        + "' does not publish every operation, so changes would be missed; run ALTER PUBLICATION "
                                        + PgName.quote(publicationName) + " SET (publish = 'insert, update, delete, truncate')");
                            }
                        }
                    }
                }
                if (all == null) {
                    StringBuilder sql = new StringBuilder("CREATE PUBLICATION ").append(PgName.quote(publicationName))
                            .append(" FOR TABLE ");
                    appendTables(sql, tables);
                    try (Statement st = c.createStatement()) {
                        st.execute(sql.toString());
                    }
                    LOG.info("created publication {} for {} table(s)", publicationName, tables.size());
                } else if (!all) {
                    Set<Long> published = publishedTables(c);
                    List<PgTableRef> missing = new ArrayList<>();
                    for (PgTableRef t : new LinkedHashSet<>(tables)) {
                        if (!published.contains(t.oid())) {
                            missing.add(t);
                        }
                    }
                    if (!missing.isEmpty()) {
                        StringBuilder sql = new StringBuilder("ALTER PUBLICATION ").append(PgName.quote(publicationName))
                                .append(" ADD TABLE ");
                        appendTables(sql, missing);
                        try (Statement st = c.createStatement()) {
                            st.execute(sql.toString());
                        }
                        LOG.info("added {} table(s) to publication {}", missing.size(), publicationName);
                    }
                }
                return;
            } catch (SQLException e) {
                // 42710 duplicate_object: another process created it or added the table meanwhile; look again
                if (attempt == 0 && "42710".equals(e.getSQLState())) {
                    continue;
                }
                throw e;
            }
        }
    }

    private static void appendTables(StringBuilder sql, List<PgTableRef> tables) {
        Set<Long> seen = new java.util.HashSet<>();
        boolean first = true;
        for (PgTableRef t : tables) {
            if (seen.add(t.oid())) {
                if (!first) {
                    sql.append(", ");
                }
                sql.append(t.quoted());
                first = false;
            }
        }
    }

    private Set<Long> publishedTables(Connection c) throws SQLException {
        Set<Long> oids = new java.util.HashSet<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT r.prrelid::bigint FROM pg_publication_rel r JOIN pg_publication p ON p.oid = r.prpubid"
                        + " WHERE p.pubname = ?")) {
            ps.setString(1, publicationName);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    oids.add(rs.getLong(1));
                }
            }
        }
        // tables published through FOR TABLES IN SCHEMA
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT (quote_ident(schemaname) || '.' || quote_ident(tablename))::regclass::oid::bigint"
                        + " FROM pg_publication_tables WHERE pubname = ?")) {
            ps.setString(1, publicationName);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    oids.add(rs.getLong(1));
                }
            }
        }
        return oids;
    }

    private boolean publishesAllTables(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT puballtables FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, publicationName);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SyncException(ErrorType.EXTERNAL, "publication '" + publicationName
                            + "' does not exist; prepare the feed first (streamStart)");
                }
                return rs.getBoolean(1);
            }
        }
    }

    /** Returns the LSN from which the slot delivers: confirmed_flush_lsn of an existing slot or of a new one. */
    private long ensureSlot(Connection c) throws SQLException {
        for (int attempt = 0; ; attempt++) {
            Long existing;
            try {
                existing = checkSlot(c);
            } catch (FeedLostException e) {
                // an invalidated slot cannot deliver anything again: this start replaces it
                LOG.warn("replication slot {} was invalidated; dropping it and creating it anew", slotName);
                dropSlot();
                existing = null;
            }
            if (existing != null) {
                return existing;
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT lsn::text FROM pg_create_logical_replication_slot(?, 'pgoutput')")) {
                ps.setString(1, slotName);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    LOG.info("created logical replication slot {} (pgoutput)", slotName);
                    return LogSequenceNumber.valueOf(rs.getString(1)).asLong();
                }
            } catch (SQLException e) {
                if (attempt == 0 && "42710".equals(e.getSQLState())) {
                    continue;
                }
                throw e;
            }
        }
    }

    /**
     * Waits a few seconds for the slot to be released (the WAL sender of a stream that just ended lets go of it
     * shortly after); a slot still held after that belongs to another consumer, which is refused naming it.
     */
    private void waitUntilSlotFree(Connection c) throws SQLException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            try (PreparedStatement ps = c.prepareStatement("SELECT s.active_pid, a.application_name, a.client_addr::text,"
                    + " a.backend_start FROM pg_replication_slots s LEFT JOIN pg_stat_activity a ON a.pid = s.active_pid"
                    + " WHERE s.slot_name = ? AND s.active_pid IS NOT NULL")) {
                ps.setString(1, slotName);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return;
                    }
                    if (System.nanoTime() - deadline >= 0) {
                        throw new SyncException(ErrorType.EXTERNAL, "replication slot '" + slotName + "' is in use by server"
                                + " process " + rs.getLong(1) + " (application '" + rs.getString(2) + "', client "
                                + (rs.getString(3) == null ? "local" : rs.getString(3)) + ", since " + rs.getTimestamp(4)
                                + "): another pipeline or another copy of this one streams from it; give each pipeline its"
                                + " own slot.name");
                    }
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SyncException(ErrorType.INTERNAL, "interrupted while waiting for replication slot '" + slotName + "'", e);
            }
        }
    }

    /** Validates an existing slot and returns its confirmed_flush_lsn; null when there is no such slot. */
    private Long checkSlot(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT plugin, slot_type, database = current_database(), confirmed_flush_lsn::text,"
                        + " to_jsonb(s) ->> 'wal_status' FROM pg_replication_slots s WHERE slot_name = ?")) {
            ps.setString(1, slotName);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                if (!"logical".equals(rs.getString(2)) || !"pgoutput".equals(rs.getString(1))) {
                    throw new SyncException(ErrorType.EXTERNAL, "replication slot '" + slotName + "' exists but is a "
                            + rs.getString(2) + " slot with plugin " + rs.getString(1)
                            + "; configure another slot name or drop it");
                }
                if (!rs.getBoolean(3)) {
                    throw new SyncException(ErrorType.EXTERNAL, "replication slot '" + slotName
                            + "' belongs to another database; configure another slot name");
                }
                if ("lost".equals(rs.getString(5))) {
                    throw new FeedLostException("replication slot '" + slotName + "' was invalidated (wal_status lost: the"
                            + " server removed WAL it still needed, see max_slot_wal_keep_size); drop it to start afresh");
                }
                return LogSequenceNumber.valueOf(rs.getString(4)).asLong();
            }
        }
    }

    private static SyncException sqlError(String what, SQLException e) {
        if ("55006".equals(e.getSQLState())) {
            // the slot is still held by the WAL sender of a stream that just ended (or by another consumer)
            return new RetriableException("cannot " + what + ": " + e.getMessage() + " [SQLState 55006]", e);
        }
        return PgErrors.map(e, "cannot " + what);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            // the connection is being discarded after another failure
        }
    }
}
