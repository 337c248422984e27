package dev.dbsync.mongo;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.client.result.UpdateResult;
import dev.dbsync.config.Config;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import dev.dbsync.spi.SyncException;
import java.time.Duration;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints in two MongoDB collections, fenced without transactions:
 * <ul>
 *   <li>a lease document per pipeline {@code {_id: pipeline, holder, token, expiresAt}}, taken with one
 *       {@code findOneAndUpdate} that matches only a free or expired lease and increments the token (a live lease
 *       makes the upsert collide on {@code _id}, and the holder is named in the refusal); renewed every third of
 *       {@code lease.ttl} while held, so a killed holder frees the pipeline within {@code lease.ttl};</li>
 *   <li>a checkpoint document per (pipeline, key) {@code {_id: {p, k}, text, token}}. A save first renews the lease
 *       with a compare on holder and token (refused if another process took it), then writes the text only over a
 *       document saved under the same or an older token, so once a newer holder has saved a key no older holder can
 *       overwrite it. One document update is atomic, so a load returns the previous or the new text.</li>
 * </ul>
 *
 * <p>Expiry compares clocks of different processes: keep them within a fraction of {@code lease.ttl}.
 * Thread-safe.
 */
final class MongoCheckpointStore implements CheckpointStore {

    private static final Logger LOG = LoggerFactory.getLogger(MongoCheckpointStore.class);

    private final MongoClient client;
    private final MongoCollection<Document> checkpoints;
    private final MongoCollection<Document> leases;
    private final Duration ttl;
    private final ScheduledExecutorService renewer;
    private final Map<Lease, ScheduledFuture<?>> renewals = new ConcurrentHashMap<>();

    MongoCheckpointStore(Config config) {
        this.ttl = config.getDuration(MongoSettings.LEASE_TTL);
        this.client = MongoConnections.open(config);
        MongoDatabase db = MongoConnections.database(client, config);
        this.checkpoints = db.getCollection(config.getString(MongoSettings.CHECKPOINT_COLLECTION));
        this.leases = db.getCollection(config.getString(MongoSettings.LEASE_COLLECTION));
        try {
            db.runCommand(new Document("ping", 1));
        } catch (MongoException e) {
            client.close();
            throw new SyncException(ErrorType.EXTERNAL, "cannot reach MongoDB at setting '" + MongoSettings.URL + "' (database '"
                    + config.getString(MongoSettings.DATABASE) + "'): " + MongoConnections.describe(e), e);
        }
        this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dbsync-mongo-lease-renewal");
            t.setDaemon(true);
            return t;
        });
    }

    private Date expiry() {
        return new Date(System.currentTimeMillis() + ttl.toMillis());
    }

    @Override
    public Lease acquire(String pipeline, String holder) {
        Date now = new Date();
        Bson free = Filters.and(Filters.eq("_id", pipeline),
                Filters.or(Filters.eq("holder", null), Filters.lt("expiresAt", now)));
        Document d;
        try {
            d = leases.findOneAndUpdate(free,
                    Updates.combine(Updates.set("holder", holder), Updates.set("expiresAt", expiry()), Updates.inc("token", 1L)),
                    new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
        } catch (MongoCommandException | MongoWriteException e) {
            if (duplicateKey(e)) {
                Document current = leases.find(Filters.eq("_id", pipeline)).first();
                String other = current == null ? "another process" : String.valueOf(current.get("holder"));
                throw new LeaseException("pipeline " + pipeline + " is already running, held by " + other
                        + (current == null ? "" : " (lease valid until " + current.get("expiresAt") + " unless renewed)")
                        + "; refusing to start it a second time from " + holder);
            }
            throw MongoConnections.wrap("pipeline " + pipeline + ": taking the lease", e);
        } catch (MongoException e) {
            throw MongoConnections.wrap("pipeline " + pipeline + ": taking the lease", e);
        }
        Lease lease = Lease.of(pipeline, holder, ((Number) d.get("token")).longValue());
        long every = Math.max(50, ttl.toMillis() / 3);
        renewals.put(lease, renewer.scheduleWithFixedDelay(() -> renewQuietly(lease), every, every, TimeUnit.MILLISECONDS));
        return lease;
    }

    private static boolean duplicateKey(MongoException e) {
        if (e instanceof MongoWriteException) {
            return ((MongoWriteException) e).getError().getCategory() == ErrorCategory.DUPLICATE_KEY;
        }
        return e.getCode() == 11000;
    }

    private void renewQuietly(Lease lease) {
        try {
            if (!renew(lease)) {
                LOG.warn("{}: lost (another process took the pipeline over); saves under it are refused", lease);
                stopRenewing(lease);
            }
        } catch (RuntimeException e) {
            LOG.warn("{}: renewal failed, retrying: {}", lease, e.toString());
        }
    }

    /** Extends the lease if it is still the current one; false when another holder or token has replaced it. */
    private boolean renew(Lease lease) {
        UpdateResult r = leases.updateOne(current(lease), Updates.set("expiresAt", expiry()));
        return r.getMatchedCount() == 1;
    }

    private static Bson current(Lease lease) {
        return Filters.and(Filters.eq("_id", lease.pipeline()), Filters.eq("holder", lease.holder()), Filters.eq("token", lease.token()));
    }

    private void fence(Lease lease, String what) {
        boolean ok;
        try {
            ok = renew(lease);
        } catch (MongoException e) {
            throw MongoConnections.wrap("pipeline " + lease.pipeline() + ": checking the lease", e);
        }
        if (!ok) {
            Document now = leases.find(Filters.eq("_id", lease.pipeline())).first();
            throw new LeaseException("pipeline " + lease.pipeline() + ": the lease of " + lease.holder() + " (token " + lease.token()
                    + ") is no longer current" + (now == null || now.get("holder") == null ? "" : "; held by " + now.get("holder")
                    + " (token " + now.get("token") + ")") + "; " + what + " refused");
        }
    }

    private static Document id(String pipeline, String key) {
        return new Document("p", pipeline).append("k", key);
    }

    @Override
    public Optional<String> load(String pipeline, String key) {
        try {
            Document d = checkpoints.find(Filters.eq("_id", id(pipeline, key))).first();
            return d == null ? Optional.empty() : Optional.ofNullable(d.getString("text"));
        } catch (MongoException e) {
            throw MongoConnections.wrap("pipeline " + pipeline + ": loading checkpoint '" + key + "'", e);
        }
    }

    @Override
    public void save(Lease lease, String key, String text) {
        fence(lease, "checkpoint '" + key + "' not saved");
        Bson notNewer = Filters.and(Filters.eq("_id", id(lease.pipeline(), key)), Filters.lte("token", lease.token()));
        try {
            checkpoints.updateOne(notNewer, Updates.combine(Updates.set("text", text), Updates.set("token", lease.token()),
                    Updates.set("savedAt", new Date())), new UpdateOptions().upsert(true));
        } catch (MongoWriteException e) {
            if (duplicateKey(e)) {
                throw new LeaseException("pipeline " + lease.pipeline() + ": checkpoint '" + key + "' was saved under a newer lease than "
                        + lease + "; not saved");
            }
            throw MongoConnections.wrap("pipeline " + lease.pipeline() + ": saving checkpoint '" + key + "'", e);
        } catch (MongoException e) {
            throw MongoConnections.wrap("pipeline " + lease.pipeline() + ": saving checkpoint '" + key + "'", e);
        }
    }

    @Override
    public void clear(Lease lease, String key) {
        fence(lease, "checkpoint '" + key + "' not cleared");
        try {
            checkpoints.deleteOne(Filters.and(Filters.eq("_id", id(lease.pipeline(), key)), Filters.lte("token", lease.token())));
        } catch (MongoException e) {
            throw MongoConnections.wrap("pipeline " + lease.pipeline() + ": clearing checkpoint '" + key + "'", e);
        }
    }

    @Override
    public void release(Lease lease) {
        stopRenewing(lease);
        try {
            leases.updateOne(current(lease), Updates.combine(Updates.set("holder", null), Updates.set("expiresAt", null)));
        } catch (MongoException e) {
            // the lease then expires by itself within lease.ttl
            LOG.warn("{}: release failed ({}); it expires within {}", lease, e.toString(), ttl);
        }
    }

    private void stopRenewing(Lease lease) {
        ScheduledFuture<?> f = renewals.remove(lease);
        if (f != null) {
            f.cancel(false);
        }
    }

    /** Stops renewing every lease without releasing it, as the death of the process would (for tests). */
    void abandonLeases() {
        renewals.values().forEach(f -> f.cancel(false));
        renewals.clear();
    }

    @Override
    public void close() {
        renewer.shutdownNow();
        client.close();
    }
}
