package dev.dbsync.elastic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import dev.dbsync.spi.SyncException;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.http.entity.ContentType;
import org.apache.http.nio.entity.NStringEntity;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints and pipeline leases as documents of one index ({@code checkpoint.index}).
 *
 * <p>Leases: a pipeline's lease document holds its holder, fencing token and expiry. It is taken and renewed only
 * with optimistic concurrency ({@code if_seq_no}/{@code if_primary_term}), so of two processes racing for it exactly
 * one wins. The holder renews it every third of {@code lease.ttl}; a holder that was killed stops renewing, and
 * its lease is free once {@code lease.ttl} has passed (expiry is judged by the clock of the process that wants the
 * lease, so clocks must agree to well within the TTL).
 *
 * <p>Checkpoints: a save first reads the lease document (reads by id are real-time) and refuses unless its lease
 * is still the current one, then writes the checkpoint with the lease's token as external version, so a save by an
 * older holder can never overwrite one by a newer holder. Writes use {@code refresh=wait_for}. Thread-safe.
 */
final class ElasticCheckpointStore implements CheckpointStore {

    private static final Logger LOG = LoggerFactory.getLogger(ElasticCheckpointStore.class);

    private final ElasticSettings settings;
    private final ElasticConnection conn;
    private final boolean ownsConnection;
    private final String index;
    private final long ttlMillis;
    private final Map<String, Held> held = new HashMap<>();
    private ScheduledExecutorService renewer;
    private volatile boolean indexReady;

    /** A lease this store holds, with the sequence number and primary term of its document as last written. */
    private static final class Held {
        final Lease lease;
        long seqNo;
        long primaryTerm;
        boolean lost;

        Held(Lease lease, long seqNo, long primaryTerm) {
            this.lease = lease;
            this.seqNo = seqNo;
            this.primaryTerm = primaryTerm;
        }
    }

    ElasticCheckpointStore(ElasticSettings settings, ElasticConnection conn, boolean ownsConnection) {
        this.settings = settings;
        this.conn = conn;
        this.ownsConnection = ownsConnection;
        this.index = settings.checkpointIndex;
        this.ttlMillis = settings.leaseTtl.toMillis();
    }

    private void ensureIndex() {
        if (indexReady) {
            return;
        }
        synchronized (this) {
            if (indexReady) {
                return;
            }
            ObjectNode body = conn.json.createObjectNode();
            ObjectNode idx = body.putObject("settings").putObject("index");
            idx.put("number_of_shards", 1);
            idx.put("auto_expand_replicas", "0-1");
            // saves wait for a refresh: keep that wait short on this small index
            idx.put("refresh_interval", "50ms");
            ObjectNode m = body.putObject("mappings");
            m.put("dynamic", false);
            ObjectNode p = m.putObject("properties");
            p.putObject("kind").put("type", "keyword");
            p.putObject("pipeline").put("type", "keyword");
            p.putObject("key").put("type", "keyword");
            p.putObject("holder").put("type", "keyword");
            p.putObject("token").put("type", "long");
            p.putObject("expires").put("type", "long");
            // the checkpoint text itself is only kept in _source (dynamic: false), so any length fits
            Request r = new Request("PUT", "/" + index);
            r.setEntity(new NStringEntity(body.toString(), ContentType.APPLICATION_JSON));
            try {
                conn.rest.performRequest(r);
            } catch (ResponseException e) {
                if (!ElasticSink.errorText(e).contains("resource_already_exists_exception")) {
                    throw new SyncException(ErrorType.EXTERNAL, "checkpoint.index: cannot create index '" + index + "': "
                            + ElasticSink.errorText(e), e);
                }
            } catch (IOException e) {
                throw conn.translate("checkpoint.index: creating index '" + index + "'", e);
            }
            indexReady = true;
        }
    }

    private static String id(String... parts) {
        String id = Docs.docId(List.of((Object[]) parts));
        if (id.getBytes(StandardCharsets.UTF_8).length <= Docs.MAX_ID_BYTES) {
            return id;
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
            return parts[0] + "|#" + HexFormat.of().formatHex(h);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private String path(String id) {
        return "/" + index + "/_doc/" + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The document's JSON with {@code _seq_no}, {@code _primary_term} and {@code _source}, or null when missing. */
    private JsonNode get(String id) {
        ensureIndex();
        try {
            Response r = conn.rest.performRequest(new Request("GET", path(id)));
            return conn.json.readTree(r.getEntity().getContent());
        } catch (ResponseException e) {
            if (ElasticConnection.status(e) == 404) {
                return null;
            }
            throw conn.translate("checkpoint.index: reading '" + index + "'", e);
        } catch (IOException e) {
            throw conn.translate("checkpoint.index: reading '" + index + "'", e);
        }
    }

    /** Writes a document; returns the answer, or null on a version conflict (409). */
    private JsonNode put(String id, ObjectNode doc, String query) {
        ensureIndex();
        Request r = new Request("PUT", path(id) + "?refresh=wait_for" + query);
        r.setEntity(new NStringEntity(doc.toString(), ContentType.APPLICATION_JSON));
        try {
            return conn.json.readTree(conn.rest.performRequest(r).getEntity().getContent());
        } catch (ResponseException e) {
            if (ElasticConnection.status(e) == 409) {
                return null;
            }
            throw conn.translate("checkpoint.index: writing to '" + index + "'", e);
        } catch (IOException e) {
            throw conn.translate("checkpoint.index: writing to '" + index + "'", e);
        }
    }

    private ObjectNode leaseDoc(String pipeline, String holder, long token, long expires) {
        ObjectNode d = conn.json.createObjectNode();
        d.put("kind", "lease");
        d.put("pipeline", pipeline);
        d.put("holder", holder);
        d.put("token", token);
        d.put("expires", expires);
        return d;
    }

    @Override
    public Lease acquire(String pipeline, String holder) {
        synchronized (held) {
            Held mine = held.get(pipeline);
            if (mine != null && !mine.lost) {
                throw busy(pipeline, mine.lease.holder(), holder);
            }
        }
        String id = id("lease", pipeline);
        for (int attempt = 0; attempt < 5; attempt++) {
            JsonNode cur = get(id);
            long token;
            String query;
            if (cur == null) {
                token = 1;
                query = "&op_type=create";
            } else {
                JsonNode src = cur.path("_source");
                long expires = src.path("expires").asLong(0);
                if (expires > System.currentTimeMillis()) {
                    throw busy(pipeline, src.path("holder").asText("another process"), holder);
                }
                token = src.path("token").asLong(0) + 1;
                query = "&if_seq_no=" + cur.path("_seq_no").asLong() + "&if_primary_term=" + cur.path("_primary_term").asLong();
            }
            JsonNode res = put(id, leaseDoc(pipeline, holder, token, System.currentTimeMillis() + ttlMillis), query);
            if (res == null) {
                continue; // another process wrote the lease meanwhile: look again
            }
            Lease lease = Lease.of(pipeline, holder, token);
            synchronized (held) {
                held.put(pipeline, new Held(lease, res.path("_seq_no").asLong(), res.path("_primary_term").asLong()));
                if (renewer == null) {
                    renewer = Executors.newSingleThreadScheduledExecutor(r -> {
                        Thread t = new Thread(r, "dbsync-elastic-lease-renewer");
                        t.setDaemon(true);
                        return t;
                    });
                    long every = Math.max(50, ttlMillis / 3);
                    renewer.scheduleWithFixedDelay(this::renewAll, every, every, TimeUnit.MILLISECONDS);
                }
            }
            return lease;
        }
        throw new LeaseException("pipeline " + pipeline + ": could not take the lease for " + holder
                + " (other processes kept changing it)");
    }

    private void renewAll() {
        List<Held> all;
        synchronized (held) {
            all = List.copyOf(held.values());
        }
        for (Held h : all) {
            try {
                renew(h);
            } catch (RuntimeException e) {
                // the next renewal tries again; a save checks the lease document itself
                LOG.warn("renewing {} failed: {}", h.lease, e.getMessage());
            }
        }
    }

    private void renew(Held h) {
        // one write of a lease document at a time, so a release never races a renewal of the same lease
        synchronized (h) {
            long seq;
            long term;
            synchronized (held) {
                if (h.lost || held.get(h.lease.pipeline()) != h) {
                    return;
                }
                seq = h.seqNo;
                term = h.primaryTerm;
            }
            JsonNode res = put(id("lease", h.lease.pipeline()), leaseDoc(h.lease.pipeline(), h.lease.holder(), h.lease.token(),
                    System.currentTimeMillis() + ttlMillis), "&if_seq_no=" + seq + "&if_primary_term=" + term);
            synchronized (held) {
                if (res == null) {
                    h.lost = true;
                    LOG.warn("{} was taken over by another process", h.lease);
                } else {
                    h.seqNo = res.path("_seq_no").asLong();
                    h.primaryTerm = res.path("_primary_term").asLong();
                }
            }
        }
    }

    private static LeaseException busy(String pipeline, String other, String me) {
        return new LeaseException("pipeline " + pipeline + " is already running, held by " + other
                + "; refusing to start it a second time from " + me);
    }

    /** Refuses unless {@code lease} is this store's live lease and still the one in the lease document. */
    private void checkCurrent(Lease lease) {
        Held h;
        synchronized (held) {
            h = held.get(lease.pipeline());
        }
        if (h == null || !h.lease.equals(lease) || h.lost) {
            throw stale(lease, null);
        }
        JsonNode cur = get(id("lease", lease.pipeline()));
        JsonNode src = cur == null ? null : cur.path("_source");
        if (src == null || src.path("token").asLong() != lease.token() || !src.path("holder").asText().equals(lease.holder())) {
            synchronized (held) {
                h.lost = true;
            }
            throw stale(lease, src == null ? null : src.path("holder").asText());
        }
    }

    private static LeaseException stale(Lease lease, String now) {
        return new LeaseException("pipeline " + lease.pipeline() + ": the lease of " + lease.holder() + " (token " + lease.token()
                + ") is no longer current" + (now == null ? "" : "; held by " + now) + "; checkpoint not saved");
    }

    @Override
    public Optional<String> load(String pipeline, String key) {
        JsonNode d = get(id("cp", pipeline, key));
        if (d == null) {
            return Optional.empty();
        }
        JsonNode src = d.path("_source");
        if (!pipeline.equals(src.path("pipeline").asText()) || !key.equals(src.path("key").asText())) {
            throw new SyncException(ErrorType.EXTERNAL, "checkpoint.index: document " + d.path("_id").asText()
                    + " in '" + index + "' does not belong to pipeline " + pipeline + ", key " + key);
        }
        return Optional.of(src.path("text").asText());
    }

    @Override
    public void save(Lease lease, String key, String text) {
        checkCurrent(lease);
        ObjectNode d = conn.json.createObjectNode();
        d.put("kind", "checkpoint");
        d.put("pipeline", lease.pipeline());
        d.put("key", key);
        d.put("token", lease.token());
        d.put("text", text);
        if (put(id("cp", lease.pipeline(), key), d, "&version=" + lease.token() + "&version_type=external_gte") == null) {
            throw new LeaseException("pipeline " + lease.pipeline() + ": a newer holder than " + lease.holder() + " (token "
                    + lease.token() + ") has saved '" + key + "'; checkpoint not saved");
        }
    }

    @Override
    public void clear(Lease lease, String key) {
        checkCurrent(lease);
        Request r = new Request("DELETE", path(id("cp", lease.pipeline(), key)) + "?refresh=wait_for&version=" + lease.token()
                + "&version_type=external_gte");
        try {
            conn.rest.performRequest(r);
        } catch (ResponseException e) {
            int st = ElasticConnection.status(e);
            if (st == 409) {
                throw new LeaseException("pipeline " + lease.pipeline() + ": a newer holder than " + lease.holder()
                        + " has saved '" + key + "'; checkpoint not cleared");
            }
            if (st != 404) {
                throw conn.translate("checkpoint.index: clearing '" + key + "'", e);
            }
        } catch (IOException e) {
            throw conn.translate("checkpoint.index: clearing '" + key + "'", e);
        }
    }

    @Override
    public void release(Lease lease) {
        Held h;
        synchronized (held) {
            h = held.get(lease.pipeline());
            if (h == null || !h.lease.equals(lease)) {
                return;
            }
            held.remove(lease.pipeline());
        }
        synchronized (h) {
            if (!h.lost) {
                // expired at once, so the next process need not wait for the TTL; a conflict means it was taken anyway
                put(id("lease", lease.pipeline()), leaseDoc(lease.pipeline(), lease.holder(), lease.token(), 0),
                        "&if_seq_no=" + h.seqNo + "&if_primary_term=" + h.primaryTerm);
                h.lost = true;
            }
        }
    }

    /**
     * Stops as a killed process would: no more renewals, no release, the connection dropped. The leases it held
     * become free after {@code lease.ttl}. For tests of what a crash leaves behind.
     */
    void halt() {
        synchronized (held) {
            if (renewer != null) {
                renewer.shutdownNow();
                renewer = null;
            }
            held.clear();
        }
        if (ownsConnection) {
            conn.close();
        }
    }

    @Override
    public void close() {
        List<Held> all;
        synchronized (held) {
            all = List.copyOf(held.values());
            if (renewer != null) {
                renewer.shutdownNow();
                renewer = null;
            }
        }
        for (Held h : all) {
            try {
                release(h.lease);
            } catch (RuntimeException e) {
                LOG.warn("releasing {} on close failed; it expires after {}", h.lease, settings.leaseTtl, e);
            }
        }
        if (ownsConnection) {
            conn.close();
        }
    }
}
