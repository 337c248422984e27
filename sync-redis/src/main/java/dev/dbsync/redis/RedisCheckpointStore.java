package dev.dbsync.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.CheckpointUpdate;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.PipeliningBase;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Checkpoints in Redis: one hash per pipeline ({@code P:~dbsync:cp:<pipeline>}, field = checkpoint key), each
 * save one {@code HSET} inside a script that first checks the lease, so a save is atomic and a fenced-out process
 * changes nothing.
 *
 * <p>Leases: {@code P:~dbsync:lease:<pipeline>} is a hash (token, holder) with a TTL ({@code lease.ttl}) that a
 * background thread of the holder renews every third of it. A second process is refused while the key exists;
 * when the holder dies, nobody renews it and it expires, so a restart waits at most one TTL. The token comes from
 * a counter that never expires ({@code P:~dbsync:token:<pipeline>}), so every lease's token is higher than the
 * previous ones and a holder that stalled longer than the TTL finds its saves refused.
 *
 * <p>Durability is Redis's: with {@code appendonly yes} and {@code appendfsync always} a saved checkpoint
 * survives a crash of the server; with the defaults up to a second (AOF) or the time since the last snapshot
 * (RDB) can be lost.
 */
final class RedisCheckpointStore implements CheckpointStore {

    private static final Logger LOG = LoggerFactory.getLogger(RedisCheckpointStore.class);

    private final RedisConnection conn;
    private final boolean ownsConnection;
    private final long ttlMillis;
    private final Map<String, Lease> held = new ConcurrentHashMap<>();
    /** Leases this store handed out and did not release, renewed or not: batches under them are fenced in Redis. */
    private final Map<String, Lease> issued = new ConcurrentHashMap<>();
    private final ScheduledExecutorService renewer;
    private volatile byte[] checkpointSha;
    private volatile byte[] acquireSha;
    private volatile byte[] renewSha;

    RedisCheckpointStore(RedisConnection conn, boolean ownsConnection, Duration ttl) {
        this.conn = conn;
        this.ownsConnection = ownsConnection;
        this.ttlMillis = Math.max(300, ttl.toMillis());
        this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dbsync-redis-lease");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(100, ttlMillis / 3);
        renewer.scheduleWithFixedDelay(this::renewAll, period, period, TimeUnit.MILLISECONDS);
    }

    String leaseKey(String pipeline) {
        return conn.layout.meta("lease", pipeline);
    }

    private String hashKey(String pipeline) {
        return conn.layout.meta("cp", pipeline);
    }

    private Object eval(String what, String script, String... args) {
        try (Jedis j = conn.get()) {
            for (int attempt = 0; ; attempt++) {
                try {
                    return j.evalsha(sha(j, script), List.of(), bytes(args));
                } catch (JedisDataException e) {
                    if (Errors.noScript(e.getMessage()) && attempt == 0) {
                        reset();
                        continue;
                    }
                    throw e;
                }
            }
        } catch (JedisException e) {
            throw Errors.translate(what, e);
        }
    }

    private void reset() {
        checkpointSha = null;
        acquireSha = null;
        renewSha = null;
    }

    private byte[] sha(Jedis j, String script) {
        if (script == Scripts.CHECKPOINT) {
            if (checkpointSha == null) {
                checkpointSha = Scripts.load(j, script);
            }
            return checkpointSha;
        } else if (script == Scripts.ACQUIRE) {
            if (acquireSha == null) {
                acquireSha = Scripts.load(j, script);
            }
            return acquireSha;
        }
        if (renewSha == null) {
            renewSha = Scripts.load(j, script);
        }
        return renewSha;
    }

    static List<byte[]> bytes(String... args) {
        byte[][] out = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            out[i] = args[i].getBytes(UTF_8);
        }
        return List.of(out);
    }

    @Override
    public Lease acquire(String pipeline, String holder) {
        Object r = eval("take the lease of pipeline " + pipeline, Scripts.ACQUIRE, leaseKey(pipeline),
                conn.layout.meta("token", pipeline), holder, Long.toString(ttlMillis));
        List<?> l = (List<?>) r;
        if (((Long) l.get(0)) == 0L) {
            String other = new String((byte[]) l.get(1), UTF_8);
            throw new LeaseException("pipeline " + pipeline + " is already running, held by " + other
                    + "; refusing to start it a second time from " + holder + " (Redis key " + leaseKey(pipeline)
                    + " at " + conn.where() + "; a holder that died lets go within " + ttlMillis + " ms)");
        }
        Lease lease = Lease.of(pipeline, holder, (Long) l.get(1));
        held.put(pipeline, lease);
        issued.put(pipeline, lease);
        return lease;
    }

    /**
     * Whether this store handed out {@code lease} (and it was not released): a batch's checkpoint under it is
     * written with the batch, fenced by the lease in Redis, so a lease lost meanwhile refuses rows and checkpoint.
     */
    boolean holds(Lease lease) {
        return lease.equals(issued.get(lease.pipeline()));
    }

    private void renewAll() {
        for (Lease lease : held.values()) {
            try {
                Object r = eval("renew the lease of pipeline " + lease.pipeline(), Scripts.RENEW, leaseKey(lease.pipeline()),
                        Long.toString(lease.token()), Long.toString(ttlMillis), "r");
                if (((Long) r) == 0L) {
                    held.remove(lease.pipeline(), lease);
                    LOG.warn("pipeline {}: the lease of {} (token {}) was lost (it expired or another process took it); "
                            + "its checkpoints will be refused", lease.pipeline(), lease.holder(), lease.token());
                }
            } catch (RuntimeException e) {
                LOG.warn("pipeline {}: cannot renew the lease, will retry: {}", lease.pipeline(), e.getMessage());
            }
        }
    }

    @Override
    public Optional<String> load(String pipeline, String key) {
        try (Jedis j = conn.get()) {
            byte[] v = j.hget(hashKey(pipeline).getBytes(UTF_8), key.getBytes(UTF_8));
            return v == null ? Optional.empty() : Optional.of(new String(v, UTF_8));
        } catch (JedisException e) {
            throw Errors.translate("load the checkpoint of pipeline " + pipeline + ", key " + key, e);
        }
    }

    @Override
    public void save(Lease lease, String key, String text) {
        eval("save the checkpoint of pipeline " + lease.pipeline() + ", key " + key, Scripts.CHECKPOINT,
                checkpointArgs(lease, key, text, "s").toArray(new String[0]));
    }

    @Override
    public void clear(Lease lease, String key) {
        eval("clear the checkpoint of pipeline " + lease.pipeline() + ", key " + key, Scripts.CHECKPOINT,
                checkpointArgs(lease, key, "", "c").toArray(new String[0]));
    }

    private List<String> checkpointArgs(Lease lease, String key, String text, String op) {
        return List.of(leaseKey(lease.pipeline()), Long.toString(lease.token()), hashKey(lease.pipeline()), key, text, op);
    }

    /** Queues the fenced save of {@code update} inside the sink's open MULTI; the EXEC reply says if it was refused. */
    Response<Object> queueSave(Jedis j, PipeliningBase tx, CheckpointUpdate update, String guard, int parts) {
        List<String> a = new java.util.ArrayList<>(checkpointArgs(update.lease(), update.key(), update.text(), "s"));
        a.add(guard);
        a.add(Integer.toString(parts));
        return tx.evalsha(sha(j, Scripts.CHECKPOINT), List.of(), bytes(a.toArray(new String[0])));
    }

    /** Loads the checkpoint script before a transaction (EVALSHA inside MULTI cannot load it). */
    void prepare(Jedis j) {
        sha(j, Scripts.CHECKPOINT);
    }

    void forgetScripts() {
        reset();
    }

    @Override
    public void release(Lease lease) {
        issued.remove(lease.pipeline(), lease);
        if (held.remove(lease.pipeline(), lease)) {
            try {
                eval("release the lease of pipeline " + lease.pipeline(), Scripts.RENEW, leaseKey(lease.pipeline()),
                        Long.toString(lease.token()), "0", "d");
            } catch (RuntimeException e) {
                LOG.warn("pipeline {}: cannot release the lease; it expires within {} ms: {}", lease.pipeline(), ttlMillis,
                        e.getMessage());
            }
        }
    }

    /** Stops renewing (leases not released expire by their TTL) and closes the connection when it owns it. */
    @Override
    public void close() {
        renewer.shutdownNow();
        for (Lease l : held.values()) {
            release(l);
        }
        if (ownsConnection) {
            conn.close();
        }
    }

    /** For tests: stops renewing without releasing, as a killed process would. */
    void abandon() {
        renewer.shutdownNow();
        held.clear();
    }
}
