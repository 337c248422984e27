package dev.dbsync.elastic;

import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.elasticsearch._types.ErrorCause;
import co.elastic.clients.elasticsearch._types.VersionType;
import co.elastic.clients.elasticsearch.core.BulkRequest;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import co.elastic.clients.util.BinaryData;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import dev.dbsync.spi.WriteResult.FailedEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.elasticsearch.client.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one table's changes as bulk requests: index (upsert) and delete by document id, with external_gte
 * versions when events carry versions. One request is in flight at a time, bounded by bytes and actions; every
 * item's result is read.
 *
 * <ul>
 *   <li>a version conflict (409) means the index holds a newer version: counted as skipped;</li>
 *   <li>overload (429, {@code es_rejected_execution_exception}) and unavailable shards: only those items are sent
 *       again after a growing pause; when attempts run out the write fails as retriable (it is idempotent);</li>
 *   <li>any other item error (mapping, parsing, validation) fails that event alone, for the dead-letter handler.</li>
 * </ul>
 *
 * <p>Nothing is buffered between calls, so {@link #flush()} only refreshes (when {@code refresh.on.flush}, at most
 * once per {@code refresh.min.interval}, and always at {@link #close()} after writes).
 * Checkpoints are not written along with the rows: Elasticsearch has no transactions, and the engine saves the
 * checkpoint in the store after the flush that covers it.
 */
final class ElasticTableWriter implements TableWriter {

    private static final Logger LOG = LoggerFactory.getLogger(ElasticTableWriter.class);
    /** Bytes of an action line beside its document, roughly: index name, id, version. */
    private static final int ACTION_OVERHEAD = 96;

    private final ElasticSink sink;
    private final ElasticConnection conn;
    private final ElasticSettings s;
    private final TableSchema schema;
    private final String index;
    private final Column[] columns;
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream(1024);
    /** Whether documents were sent since the last refresh, and when that refresh was (nanoTime). */
    private boolean unrefreshed;
    private long lastRefresh = System.nanoTime() - Long.MAX_VALUE / 2;

    ElasticTableWriter(ElasticSink sink, TableSchema schema, String index) {
        this.sink = sink;
        this.conn = sink.connection();
        this.s = sink.settings();
        this.schema = schema;
        this.index = index;
        this.columns = schema.columns().toArray(new Column[0]);
    }

    /** One event on its way into a bulk request. */
    private static final class Item {
        final ChangeEvent event;
        final String id;
        final byte[] doc;

        Item(ChangeEvent event, String id, byte[] doc) {
            this.event = event;
            this.id = id;
            this.doc = doc;
        }

        long size() {
            return ACTION_OVERHEAD + id.length() + (doc == null ? 0 : doc.length);
        }
    }

    @Override
    public WriteResult write(Batch batch) {
        List<ChangeEvent> events = batch.latestPerKey();
        int upserted = 0;
        int deleted = 0;
        // events superseded by a later change of the same key in this batch took effect and were overwritten
        for (ChangeEvent e : batch.events()) {
            if (e.operation() == Operation.UPSERT) {
                upserted++;
            } else {
                deleted++;
            }
        }
        for (ChangeEvent e : events) {
            if (e.operation() == Operation.UPSERT) {
                upserted--;
            } else {
                deleted--;
            }
        }
        List<FailedEvent> failed = new ArrayList<>();
        Counts counts = new Counts();
        List<Item> chunk = new ArrayList<>();
        long chunkBytes = 0;
        for (ChangeEvent e : events) {
            Item item;
            try {
                item = toItem(e);
            } catch (IllegalArgumentException | ClassCastException | IOException x) {
                failed.add(new FailedEvent(e, "table '" + schema.name() + "', key " + e.keyText() + ": " + x.getMessage(), x));
                continue;
            }
            if (!chunk.isEmpty() && (chunk.size() >= s.bulkMaxActions || chunkBytes + item.size() > s.bulkMaxBytes)) {
                send(chunk, counts, failed);
                chunk = new ArrayList<>();
                chunkBytes = 0;
            }
            chunk.add(item);
            chunkBytes += item.size();
        }
        if (!chunk.isEmpty()) {
            send(chunk, counts, failed);
        }
        unrefreshed = true;
        return WriteResult.of(upserted + counts.upserted, deleted + counts.deleted, counts.skipped, failed);
    }

    private static final class Counts {
        int upserted;
        int deleted;
        int skipped;
    }

    private Item toItem(ChangeEvent e) throws IOException {
        String id = Docs.docId(e.key());
        if (id.getBytes(StandardCharsets.UTF_8).length > Docs.MAX_ID_BYTES) {
            throw new IllegalArgumentException("the key is longer than the " + Docs.MAX_ID_BYTES
                    + " bytes Elasticsearch allows for a document id");
        }
        if (e.operation() == Operation.DELETE) {
            return new Item(e, id, null);
        }
        buf.reset();
        try (JsonGenerator g = conn.json.getFactory().createGenerator(buf, JsonEncoding.UTF8)) {
            g.writeStartObject();
            List<Object> values = e.values();
            for (int i = 0; i < columns.length; i++) {
                g.writeFieldName(columns[i].name());
                Docs.writeValue(g, conn.json, columns[i], columns[i].type(), values.get(i), s);
            }
            g.writeEndObject();
        }
        return new Item(e, id, buf.toByteArray());
    }

    /** Sends the items; resends those the server rejected as overloaded, after a pause, until attempts run out. */
    private void send(List<Item> items, Counts counts, List<FailedEvent> failed) {
        long backoff = s.retryInitialBackoff.toMillis();
        List<Item> pending = items;
        for (int attempt = 1; ; attempt++) {
            List<Item> again = sendOnce(pending, counts, failed);
            if (again.isEmpty()) {
                return;
            }
            if (attempt >= s.retryMaxAttempts) {
                throw new RetriableException("table '" + schema.name() + "': Elasticsearch at " + conn.description + " still rejected "
                        + again.size() + " bulk items as overloaded after " + attempt + " attempts (index '" + index + "')");
            }
            LOG.debug("index {}: {} items rejected as overloaded, resending in {} ms", index, again.size(), backoff);
            sleep(backoff);
            backoff = Math.min(backoff * 2, s.retryMaxBackoff.toMillis());
            pending = again;
        }
    }

    private List<Item> sendOnce(List<Item> items, Counts counts, List<FailedEvent> failed) {
        List<BulkOperation> ops = new ArrayList<>(items.size());
        for (Item it : items) {
            ops.add(operation(it));
        }
        BulkResponse response;
        try {
            response = conn.client.bulk(BulkRequest.of(b -> b.operations(ops)));
        } catch (ElasticsearchException e) {
            if (e.status() == 413 && items.size() > 1) {
                // the server's request limit is below bulk.max.bytes: halve until it fits
                List<Item> again = new ArrayList<>(sendOnce(items.subList(0, items.size() / 2), counts, failed));
                again.addAll(sendOnce(items.subList(items.size() / 2, items.size()), counts, failed));
                return again;
            }
            if (e.status() == 413) {
                failed.add(new FailedEvent(items.get(0).event, "table '" + schema.name() + "', key " + items.get(0).event.keyText()
                        + ": the document is larger than the server accepts in one request", e));
                return List.of();
            }
            throw conn.translate("table '" + schema.name() + "': bulk request to index '" + index + "'", e);
        } catch (IOException | RuntimeException e) {
            throw conn.translate("table '" + schema.name() + "': bulk request to index '" + index + "'", e);
        }
        List<BulkResponseItem> results = response.items();
        if (results.size() != items.size()) {
            throw new RetriableException("table '" + schema.name() + "': Elasticsearch answered " + results.size()
                    + " bulk items for " + items.size() + " sent (index '" + index + "')");
        }
        List<Item> again = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            BulkResponseItem r = results.get(i);
            Item it = items.get(i);
            boolean delete = it.event.operation() == Operation.DELETE;
            ErrorCause err = r.error();
            int status = r.status();
            if (err == null && (status < 300 || (delete && status == 404))) {
                if (delete) {
                    counts.deleted++;
                } else {
                    counts.upserted++;
                }
            } else if (status == 409 && err != null && "version_conflict_engine_exception".equals(err.type())) {
                counts.skipped++;
            } else if (retriable(status, err)) {
                again.add(it);
            } else {
                failed.add(new FailedEvent(it.event, "table '" + schema.name() + "', key " + it.event.keyText() + ", index '" + index
                        + "': " + (err == null ? "HTTP " + status : err.type() + ": " + err.reason()
                        + (err.causedBy() == null ? "" : " (" + err.causedBy().type() + ": " + err.causedBy().reason() + ")")), null));
            }
        }
        return again;
    }

    private static boolean retriable(int status, ErrorCause err) {
        if (status == 429 || status == 503 || status == 502 || status == 504) {
            return true;
        }
        if (err == null) {
            return false;
        }
        String t = err.type();
        return "es_rejected_execution_exception".equals(t) || "unavailable_shards_exception".equals(t)
                || "circuit_breaking_exception".equals(t) || "cluster_block_exception".equals(t) && status == 429;
    }

    private BulkOperation operation(Item it) {
        long version = it.event.version();
        if (it.doc == null) {
            return BulkOperation.of(o -> o.delete(d -> {
                d.index(index).id(it.id);
                if (version != 0) {
                    d.version(Docs.esVersion(version)).versionType(VersionType.ExternalGte);
                }
                return d;
            }));
        }
        BinaryData doc = BinaryData.of(it.doc, "application/json");
        return BulkOperation.of(o -> o.index(x -> {
            x.index(index).id(it.id).document(doc);
            if (version != 0) {
                x.version(Docs.esVersion(version)).versionType(VersionType.ExternalGte);
            }
            return x;
        }));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException("interrupted while waiting to resend rejected bulk items", e);
        }
    }

    /**
     * Sends nothing (nothing is buffered; every bulk item was acknowledged, so it is durable) and refreshes the index
     * so the rows are searchable, at most once per {@code refresh.min.interval}: the engine flushes after every
     * batch, and a refresh per batch would cost the index many small segments.
     */
    @Override
    public void flush() {
        if (s.refreshOnFlush && unrefreshed && System.nanoTime() - lastRefresh >= s.refreshMinInterval.toNanos()) {
            refresh();
        }
    }

    private void refresh() {
        conn.call("table '" + schema.name() + "': refreshing index '" + index + "'", new Request("POST", "/" + index + "/_refresh"));
        unrefreshed = false;
        lastRefresh = System.nanoTime();
    }

    @Override
    public void truncate() {
        sink.recreate(schema, index);
        unrefreshed = true;
    }

    /** Nothing is buffered (every write was sent before it returned); refreshes what a skipped refresh left. */
    @Override
    public void close() {
        if (s.refreshOnFlush && unrefreshed) {
            refresh();
        }
    }
}
