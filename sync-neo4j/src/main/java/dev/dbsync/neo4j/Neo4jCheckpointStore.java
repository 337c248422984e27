package dev.dbsync.neo4j;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.CheckpointUpdate;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.neo4j.driver.Record;
import org.neo4j.driver.Session;
import org.neo4j.driver.TransactionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints as {@code (:DbsyncCheckpoint {pipeline, key, text})} nodes, fenced by one
 * {@code (:DbsyncLease {pipeline, holder, token, expires_at})} node per pipeline.
 *
 * <p>Leases: {@link #acquire} takes the lease when nobody holds it or the holder's lease expired, and bumps the
 * token. Expiry is measured on the server's clock ({@code timestamp()}), so client clocks do not matter. The
 * holder renews its lease every third of the TTL from a daemon thread, so a live holder keeps it and a killed one
 * loses it after at most one TTL (default 6 s). Every save locks the lease node first (a write to it) and then
 * checks the token, so a save and a take-over never interleave: a fenced-out holder's save fails and changes
 * nothing. The sink's writers run the same save inside the transaction of a batch ({@link #saveIn}).
 */
final class Neo4jCheckpointStore implements CheckpointStore {

    private static final Logger LOG = LoggerFactory.getLogger(Neo4jCheckpointStore.class);

    static final String LEASE_LABEL = "DbsyncLease";
    static final String CHECKPOINT_LABEL = "DbsyncCheckpoint";

    private static final String SAVE = "MATCH (l:DbsyncLease {pipeline: $pipeline})\n"
            + "SET l.last_save = timestamp()\n"
            + "WITH l WHERE l.token = $token\n"
            + "MERGE (c:DbsyncCheckpoint {pipeline: $pipeline, key: $key})\n"
            + "SET c.text = $text, c.token = $token, c.saved_at = datetime.realtime()\n"
            + "RETURN count(*)";
    private static final String CLEAR = "MATCH (l:DbsyncLease {pipeline: $pipeline})\n"
            + "SET l.last_save = timestamp()\n"
            + "WITH l WHERE l.token = $token\n"
            + "OPTIONAL MATCH (c:DbsyncCheckpoint {pipeline: $pipeline, key: $key})\n"
            + "FOREACH (x IN CASE WHEN c IS NULL THEN [] ELSE [c] END | DELETE x)\n"
            + "RETURN count(*)";

    private final Neo4jConnection connection;
    private final long ttlMillis;
    private final boolean ownsConnection;
    private final Map<String, Lease> held = new ConcurrentHashMap<>();
    private final java.util.Set<Lease> handedOut = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService renewer;
    private volatile boolean prepared;

    Neo4jCheckpointStore(Neo4jConnection connection, Duration ttl, boolean ownsConnection) {
        this.connection = connection;
        this.ttlMillis = ttl.toMillis();
        this.ownsConnection = ownsConnection;
        this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dbsync-neo4j-lease-renewal");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(200, ttlMillis / 3);
        renewer.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
    }

    /** Creates the constraints of leases and checkpoints once. */
    void prepare() {
        if (prepared) {
            return;
        }
        synchronized (this) {
            if (!prepared) {
                try (Session s = connection.session()) {
                    s.run("CREATE CONSTRAINT dbsync_lease_pipeline IF NOT EXISTS FOR (l:DbsyncLease) REQUIRE l.pipeline IS UNIQUE").consume();
                    s.run("CREATE CONSTRAINT dbsync_checkpoint_key IF NOT EXISTS FOR (c:DbsyncCheckpoint) "
                            + "REQUIRE (c.pipeline, c.key) IS UNIQUE").consume();
                } catch (RuntimeException e) {
                    throw Neo4jConnection.map("create the checkpoint constraints", e);
                }
                prepared = true;
            }
        }
    }

    @Override
    public Lease acquire(String pipeline, String holder) {
        prepare();
        Record r;
        try (Session s = connection.session()) {
            r = s.executeWrite(tx -> tx.run("MERGE (l:DbsyncLease {pipeline: $pipeline})\n"
                    + "SET l.last_acquire = timestamp()\n"
                    + "WITH l, l.holder IS NOT NULL AND l.expires_at > timestamp() AS busy, l.holder AS other\n"
                    + "FOREACH (x IN CASE WHEN busy THEN [] ELSE [1] END |\n"
                    + "  SET l.token = coalesce(l.token, 0) + 1, l.holder = $holder, l.expires_at = timestamp() + $ttl)\n"
                    + "RETURN busy, other, l.token AS token",
                    Map.of("pipeline", pipeline, "holder", holder, "ttl", ttlMillis)).single());
        } catch (RuntimeException e) {
            throw Neo4jConnection.map("acquire the lease of pipeline " + pipeline, e);
        }
        if (r.get("busy").asBoolean()) {
            throw new LeaseException("pipeline " + pipeline + " is already running, held by " + r.get("other").asString()
                    + " (its lease in Neo4j at " + connection.url() + " is live); refusing to start it a second time from " + holder);
        }
        Lease lease = Lease.of(pipeline, holder, r.get("token").asLong());
        held.put(pipeline, lease);
        handedOut.add(lease);
        return lease;
    }

    /**
     * Whether this store handed out {@code lease}, so a batch carrying it writes its checkpoint here (and fails if
     * the lease was taken over since). A lease of another store is none of this store's business.
     */
    boolean issued(Lease lease) {
        return handedOut.contains(lease);
    }

    private void renew() {
        for (Lease lease : held.values()) {
            try (Session s = connection.session()) {
                long n = s.executeWrite(tx -> tx.run("MATCH (l:DbsyncLease {pipeline: $pipeline}) WHERE l.token = $token\n"
                        + "SET l.expires_at = timestamp() + $ttl RETURN count(*)",
                        Map.of("pipeline", lease.pipeline(), "token", lease.token(), "ttl", ttlMillis)).single().get(0).asLong());
                if (n == 0) {
                    held.remove(lease.pipeline(), lease);
                    LOG.warn("pipeline {}: the lease of {} (token {}) was taken over; this process can no longer save "
                            + "checkpoints", lease.pipeline(), lease.holder(), lease.token());
                }
            } catch (RuntimeException e) {
                LOG.warn("pipeline {}: cannot renew the lease in Neo4j: {}", lease.pipeline(), e.getMessage());
            }
        }
    }

    @Override
    public Optional<String> load(String pipeline, String key) {
        try (Session s = connection.session()) {
            return s.executeRead(tx -> {
                var result = tx.run("MATCH (c:DbsyncCheckpoint {pipeline: $pipeline, key: $key}) RETURN c.text",
                        Map.of("pipeline", pipeline, "key", key));
                return result.hasNext() ? Optional.of(result.next().get(0).asString()) : Optional.<String>empty();
            });
        } catch (RuntimeException e) {
            throw Neo4jConnection.map("load the checkpoint of pipeline " + pipeline + ", key '" + key + "'", e);
        }
    }

    @Override
    public void save(Lease lease, String key, String text) {
        fenced(lease, "save", SAVE, key, text);
    }

    @Override
    public void clear(Lease lease, String key) {
        fenced(lease, "clear", CLEAR, key, null);
    }

    private void fenced(Lease lease, String what, String cypher, String key, String text) {
        prepare();
        long n;
        try (Session s = connection.session()) {
            n = s.executeWrite(tx -> run(tx, cypher, lease, key, text));
        } catch (RuntimeException e) {
            throw Neo4jConnection.map(what + " the checkpoint of pipeline " + lease.pipeline() + ", key '" + key + "'", e);
        }
        if (n == 0) {
            throw fencedOut(lease);
        }
    }

    /** Saves the checkpoint inside a sink writer's transaction; throws (so the caller rolls back) when fenced out. */
    void saveIn(org.neo4j.driver.Transaction tx, CheckpointUpdate update) {
        long n = tx.run(SAVE, Map.of("pipeline", update.lease().pipeline(), "token", update.lease().token(),
                "key", update.key(), "text", update.text())).single().get(0).asLong();
        if (n == 0) {
            throw fencedOut(update.lease());
        }
    }

    private static long run(TransactionContext tx, String cypher, Lease lease, String key, String text) {
        Map<String, Object> p = new java.util.HashMap<>();
        p.put("pipeline", lease.pipeline());
        p.put("token", lease.token());
        p.put("key", key);
        p.put("text", text);
        return tx.run(cypher, p).single().get(0).asLong();
    }

    private LeaseException fencedOut(Lease lease) {
        held.remove(lease.pipeline(), lease);
        return new LeaseException("pipeline " + lease.pipeline() + ": the lease of " + lease.holder() + " (token "
                + lease.token() + ") is no longer current in Neo4j at " + connection.url() + "; checkpoint not saved");
    }

    @Override
    public void release(Lease lease) {
        held.remove(lease.pipeline(), lease);
        try (Session s = connection.session()) {
            s.executeWrite(tx -> tx.run("MATCH (l:DbsyncLease {pipeline: $pipeline}) WHERE l.token = $token\n"
                    + "SET l.holder = null, l.expires_at = 0", Map.of("pipeline", lease.pipeline(), "token", lease.token())).consume());
        } catch (RuntimeException e) {
            // the lease then expires by itself after one TTL
            LOG.warn("pipeline {}: cannot release the lease in Neo4j: {}", lease.pipeline(), e.getMessage());
        }
    }

    /** Stops renewing and drops the connection without releasing anything, as the death of the process would. */
    void kill() {
        renewer.shutdownNow();
        held.clear();
        if (ownsConnection) {
            connection.close();
        }
    }

    @Override
    public void close() {
        renewer.shutdownNow();
        for (Lease l : held.values()) {
            release(l);
        }
        if (ownsConnection) {
            connection.close();
        }
    }
}
