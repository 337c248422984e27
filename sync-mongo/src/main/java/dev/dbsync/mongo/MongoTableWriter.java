package dev.dbsync.mongo;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoException;
import com.mongodb.bulk.BulkWriteError;
import com.mongodb.bulk.BulkWriteResult;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.DeleteOneModel;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.WriteModel;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bson.BsonDocument;
import org.bson.BsonInt64;
import org.bson.BsonValue;
import org.bson.conversions.Bson;

/**
 * Writes one table's batches as one {@code bulkWrite} each: the last change of every key
 * ({@link Batch#latestPerKey()}) as a {@code ReplaceOne} upsert or a {@code DeleteOne}. With every key once in
 * the request, the writes are independent, so the bulk write is unordered: one bad document fails alone and the
 * server applies the rest.
 *
 * <p>Versions: an event with a version other than 0 carries it in the version field, and its write matches only a
 * stored document with a lower version (or none). A stale upsert then finds no document to replace, tries to insert
 * one with the same {@code _id} and gets a duplicate-key error from the {@code _id} index: that error is the
 * server saying "newer version stored", and the event is counted as skipped. A stale delete matches nothing and is
 * counted as skipped too. Nothing is buffered: each batch is durable (per the write concern) when write returns.
 */
final class MongoTableWriter implements TableWriter {

    private final MongoCollection<BsonDocument> coll;
    private final TableSchema schema;
    private final DocumentLayout layout;
    private final String versionField;
    private final Column[] columns;
    /** Whether a column is stored as a field (all but a key column named _id, which is the _id itself). */
    private final boolean[] asField;

    MongoTableWriter(MongoCollection<BsonDocument> coll, TableSchema schema, String versionField) {
        this.coll = coll;
        this.schema = schema;
        this.layout = DocumentLayout.forSink(schema);
        this.versionField = versionField;
        this.columns = schema.columns().toArray(new Column[0]);
        this.asField = new boolean[columns.length];
        for (int i = 0; i < columns.length; i++) {
            asField[i] = !columns[i].name().equals("_id");
        }
    }

    @Override
    public WriteResult write(Batch batch) {
        List<ChangeEvent> events = batch.latestPerKey();
        List<WriteModel<BsonDocument>> models = new ArrayList<>(events.size());
        List<ChangeEvent> modelled = new ArrayList<>(events.size());
        List<WriteResult.FailedEvent> failed = new ArrayList<>();
        List<BsonValue> versionedDeletes = new ArrayList<>();
        for (ChangeEvent e : events) {
            try {
                BsonValue id = layout.id(e.key());
                if (e.operation() == Operation.UPSERT) {
                    models.add(new ReplaceOneModel<>(filter(id, e.version(), false), document(id, e), new ReplaceOptions().upsert(true)));
                } else if (e.operation() == Operation.DELETE) {
                    models.add(new DeleteOneModel<>(filter(id, e.version(), true)));
                    if (e.version() != 0) {
                        versionedDeletes.add(id);
                    }
                } else {
                    throw new SyncException(ErrorType.INTERNAL, "table '" + schema.name() + "': a batch holds a " + e.operation());
                }
                modelled.add(e);
            } catch (DataException ex) {
                failed.add(new WriteResult.FailedEvent(e, "table '" + schema.name() + "', key " + e.keyText() + ": " + ex.getMessage(), ex));
            }
        }
        int stale = 0;
        int deletedFound = -1;
        Set<Integer> notApplied = new HashSet<>();
        if (!models.isEmpty()) {
            BulkWriteResult r;
            try {
                r = coll.bulkWrite(models, new BulkWriteOptions().ordered(false));
            } catch (MongoBulkWriteException bwe) {
                if (bwe.getWriteConcernError() != null) {
                    throw MongoConnections.wrap("table '" + schema.name() + "': write concern not satisfied", bwe);
                }
                r = bwe.getWriteResult();
                for (BulkWriteError err : bwe.getWriteErrors()) {
                    ChangeEvent e = modelled.get(err.getIndex());
                    notApplied.add(err.getIndex());
                    if (err.getCode() == 11000 && e.version() != 0 && e.operation() == Operation.UPSERT && onIdIndex(err)) {
                        stale++;
                    } else {
                        failed.add(new WriteResult.FailedEvent(e, "table '" + schema.name() + "', key " + e.keyText() + ": MongoDB error "
                                + err.getCode() + ": " + err.getMessage(), bwe));
                    }
                }
            } catch (MongoException ex) {
                throw MongoConnections.wrap("table '" + schema.name() + "': bulk write of " + models.size() + " documents", ex);
            } catch (org.bson.BsonMaximumSizeExceededException ex) {
                // the driver refuses a document above the server's limit before sending it: the engine isolates it by
                // writing the batch again in halves (documents already sent are written again, idempotently)
                throw new DataException("table '" + schema.name() + "': a document of the batch exceeds MongoDB's document size"
                        + " limit: " + ex.getMessage(), ex);
            }
            deletedFound = r.getDeletedCount();
        }
        int deletes = 0;
        int upserts = 0;
        for (int i = 0; i < modelled.size(); i++) {
            if (!notApplied.contains(i)) {
                if (modelled.get(i).operation() == Operation.DELETE) {
                    deletes++;
                } else {
                    upserts++;
                }
            }
        }
        int staleDeletes = 0;
        if (!versionedDeletes.isEmpty() && deletedFound < deletes) {
            // deletes that matched nothing: the key is gone already, or a newer version is stored (stale)
            staleDeletes = (int) coll.countDocuments(Filters.in("_id", versionedDeletes));
        }
        // events superseded inside the batch are applied by the write of their key's last change
        int supersededUpserts = 0;
        int supersededDeletes = 0;
        if (events.size() != batch.events().size()) {
            for (ChangeEvent e : batch.events()) {
                if (e.operation() == Operation.UPSERT) {
                    supersededUpserts++;
                } else {
                    supersededDeletes++;
                }
            }
            for (ChangeEvent e : events) {
                if (e.operation() == Operation.UPSERT) {
                    supersededUpserts--;
                } else {
                    supersededDeletes--;
                }
            }
        }
        return WriteResult.of(upserts + supersededUpserts, deletes - staleDeletes + supersededDeletes, stale + staleDeletes, failed);
    }

    private static boolean onIdIndex(BulkWriteError err) {
        String m = String.valueOf(err.getMessage());
        return m.contains("_id_") || !m.contains("index:");
    }

    /**
     * {@code {_id: k}}, or for a versioned write {@code {_id: k, _v: {$not: {$gte: v}}}} (a delete: {@code $gt}),
     * which matches a stored version below v or none: one top-level equality on {@code _id}, so the server finds
     * the document through the {@code _id} index.
     */
    private Bson filter(BsonValue id, long version, boolean delete) {
        BsonDocument f = new BsonDocument("_id", id);
        if (version != 0) {
            f.put(versionField, new BsonDocument("$not", new BsonDocument(delete ? "$gt" : "$gte", new BsonInt64(version))));
        }
        return f;
    }

    private BsonDocument document(BsonValue id, ChangeEvent e) {
        BsonDocument d = new BsonDocument("_id", id);
        List<Object> values = e.values();
        for (int i = 0; i < columns.length; i++) {
            if (asField[i]) {
                d.put(columns[i].name(), BsonValues.toBson(values.get(i), columns[i]));
            }
        }
        if (e.version() != 0) {
            d.put(versionField, new BsonInt64(e.version()));
        }
        return d;
    }

    @Override
    public void flush() {
        // nothing is buffered: write() returns once the server acknowledged the batch
    }

    @Override
    public void truncate() {
        try {
            coll.deleteMany(new BsonDocument());
        } catch (MongoException e) {
            throw MongoConnections.wrap("table '" + schema.name() + "': truncate", e);
        }
    }

    @Override
    public void close() {
        // nothing buffered, the client belongs to the sink
    }
}
