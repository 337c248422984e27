package dev.dbsync.neo4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ForeignKey;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.neo4j.driver.Session;
import org.neo4j.driver.Transaction;

/**
 * What users of other Neo4j sinks report most: concurrent MERGEs of the same parents deadlock or duplicate, and
 * at-least-once delivery duplicates relationships made with CREATE. Here writers of two tables that reference
 * the same not-yet-synced parents run at once, each batch replayed; the graph must hold each parent once and
 * each relationship once, and a deadlock must reach the engine as retriable.
 */
class Neo4jConcurrencyIT extends GraphTestSupport {

    @Test
    void concurrentWritersReferencingTheSameParentsNeverDuplicateThem() throws Exception {
        Sink sink = sink();
        String customers = unique("customers");
        List<TableSchema> tables = new ArrayList<>();
        for (String t : new String[] {"orders", "invoices"}) {
            tables.add(new TableSchema(unique(t), List.of(Column.required("id", LogicalType.INT64),
                    Column.of("customer_id", LogicalType.INT64)), List.of("id"),
                    List.of(new ForeignKey(t + "_fk", List.of("customer_id"), customers, List.of("id")))));
        }
        AtomicInteger retries = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (TableSchema s : tables) {
                TableWriter w = sink.open(s);
                done.add(pool.submit(() -> {
                    for (int round = 0; round < 2; round++) { // the second round replays the first
                        for (int b = 0; b < 5; b++) {
                            List<ChangeEvent> events = new ArrayList<>();
                            for (long id = b * 200L; id < (b + 1) * 200L; id++) {
                                events.add(upAt(s, 1_000 + id, id, id % 37));
                            }
                            Collections.shuffle(events); // the writer sorts by key itself
                            writeRetrying(w, Batch.of(s, events), retries);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(37, count("MATCH (c:" + Cypher.id(customers) + ") RETURN count(c)"), "each referenced customer once");
        assertEquals(37, count("MATCH (c:" + Cypher.id(customers) + ") RETURN count(DISTINCT c.id)"));
        for (TableSchema s : tables) {
            assertEquals(1000, count("MATCH (:" + Cypher.id(s.name()) + ")-[r:CUSTOMER]->(:" + Cypher.id(customers) + ") RETURN count(r)"),
                    "each relationship of " + s.name() + " once (retries: " + retries + ")");
        }
    }

    private static void writeRetrying(TableWriter w, Batch batch, AtomicInteger retries) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                w.write(batch);
                return;
            } catch (RetriableException e) {
                // as the engine does: the same batch again after a pause
                if (attempt == 10) {
                    throw e;
                }
                retries.incrementAndGet();
                Thread.sleep(50L * attempt);
            }
        }
    }

    @Test
    void aDeadlockIsRetriable() throws Exception {
        String label = unique("locks");
        query("CREATE (:" + Cypher.id(label) + " {id: 1}), (:" + Cypher.id(label) + " {id: 2})");
        String set = "MATCH (n:" + Cypher.id(label) + " {id: $id}) SET n.touched = $by";
        CountDownLatch bothLocked = new CountDownLatch(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<SyncException>> outcomes = new ArrayList<>();
            for (long[] order : new long[][] {{1, 2}, {2, 1}}) {
                outcomes.add(pool.submit(() -> {
                    try (Session s = server.driver().session(); Transaction tx = s.beginTransaction()) {
                        tx.run(set, java.util.Map.of("id", order[0], "by", order[0])).consume();
                        bothLocked.countDown();
                        bothLocked.await(30, TimeUnit.SECONDS);
                        tx.run(set, java.util.Map.of("id", order[1], "by", order[0])).consume();
                        tx.commit();
                        return null;
                    } catch (RuntimeException e) {
                        return Neo4jConnection.map("touch", e);
                    }
                }));
            }
            List<SyncException> failures = new ArrayList<>();
            for (Future<SyncException> f : outcomes) {
                SyncException e = f.get(60, TimeUnit.SECONDS);
                if (e != null) {
                    failures.add(e);
                }
            }
            assertEquals(1, failures.size(), "one of the two transactions is chosen as the deadlock victim");
            assertInstanceOf(RetriableException.class, failures.get(0), failures.get(0).getMessage());
        } finally {
            pool.shutdownNow();
        }
    }
}
