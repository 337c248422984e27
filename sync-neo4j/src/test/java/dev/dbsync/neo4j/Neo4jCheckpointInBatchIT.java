package dev.dbsync.neo4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.CheckpointUpdate;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The sink's checkpoint store: a batch's checkpoint is written in the batch's transaction, fenced by the lease. */
class Neo4jCheckpointInBatchIT extends GraphTestSupport {

    @Test
    void theCheckpointCommitsWithTheRowsAndAFencedOutBatchWritesNeither() {
        Sink sink = sink("checkpoint.store", "true", "lease.ttl", "2s");
        assertTrue(sink.capabilities().contains(SinkCapability.CHECKPOINT_STORE));
        CheckpointStore store = sink.checkpointStore().orElseThrow();
        String pipeline = unique("pipe");
        Lease lease = store.acquire(pipeline, "host-a:1");
        TableSchema s = new TableSchema(unique("items"), List.of(Column.required("id", LogicalType.INT64),
                Column.of("v", LogicalType.STRING)), List.of("id"));
        TableWriter w = sink.open(s);
        w.write(Batch.of(s, List.of(up(s, 1L, "a")), CheckpointUpdate.of(lease, "public.items", "after-1")));
        assertEquals(Optional.of("after-1"), store.load(pipeline, "public.items"), "saved by the batch's own transaction");

        // another process takes the pipeline over (after this one's lease was released)
        store.release(lease);
        Sink other = sink("checkpoint.store", "true");
        Lease taken = other.checkpointStore().orElseThrow().acquire(pipeline, "host-b:2");
        assertTrue(taken.token() > lease.token());
        LeaseException e = assertThrows(LeaseException.class, () -> w.write(Batch.of(s, List.of(up(s, 2L, "b")),
                CheckpointUpdate.of(lease, "public.items", "after-2"))));
        assertTrue(e.getMessage().contains(pipeline), e.getMessage());
        assertEquals(0, count("MATCH (n:" + Cypher.id(s.name()) + " {id: 2}) RETURN count(n)"), "the fenced batch's rows rolled back");
        assertEquals(Optional.of("after-1"), store.load(pipeline, "public.items"));

        // a lease of another store (e.g. a file store) is none of the sink's business: rows are written, no checkpoint
        Lease foreign = Lease.of(pipeline, "elsewhere", 99);
        w.write(Batch.of(s, List.of(up(s, 3L, "c")), CheckpointUpdate.of(foreign, "public.items", "foreign")));
        assertEquals(1, count("MATCH (n:" + Cypher.id(s.name()) + " {id: 3}) RETURN count(n)"));
        assertEquals(Optional.of("after-1"), store.load(pipeline, "public.items"));
    }
}
