package dev.dbsync.neo4j;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import dev.dbsync.spi.WriteResult.FailedEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.neo4j.driver.Session;
import org.neo4j.driver.Transaction;

/**
 * What node and relationship writers share: a batch becomes one transaction holding a delete statement and an
 * upsert statement (each one {@code UNWIND} over all its rows, keys in ascending order so concurrent writers
 * lock in one order) and, when the sink keeps checkpoints, the batch's checkpoint.
 */
abstract class GraphWriter implements TableWriter {

    /** Rows per statement when emptying a label or type: bounded transactions however large it is. */
    static final int CHUNK = 10_000;

    final Neo4jSink sink;
    final TableSchema schema;
    final String version;
    final String placeholder;

    GraphWriter(Neo4jSink sink, TableSchema schema) {
        this.sink = sink;
        this.schema = schema;
        this.version = Cypher.id(sink.versionProperty());
        this.placeholder = Cypher.id(sink.placeholderProperty());
    }

    /** The Cypher that upserts {@code $rows} and returns one column: how many rows were applied (not stale). */
    abstract String upsertCypher();

    /** The Cypher that deletes {@code $rows} and returns one column: how many were stale (skipped). */
    abstract String deleteCypher();

    /**
     * Adds what the upsert statement needs of one row beyond {@code k}, {@code p} and {@code vv}; returns a
     * reason when the row cannot be written (it is then failed and, for join tables, its relationship removed).
     */
    abstract String addUpsertFields(Map<String, Object> row, ChangeEvent e);

    /** Whether a row refused by {@link #addUpsertFields} should still remove what the graph holds for its key. */
    boolean deleteRefused() {
        return false;
    }

    @Override
    public WriteResult write(Batch batch) {
        List<ChangeEvent> events = new ArrayList<>(batch.latestPerKey());
        events.sort((a, b) -> GraphValues.compareKeys(a.key(), b.key()));
        List<Map<String, Object>> upserts = new ArrayList<>();
        List<Map<String, Object>> deletes = new ArrayList<>();
        List<Map<String, Object>> refusedDeletes = new ArrayList<>();
        List<FailedEvent> failed = new ArrayList<>();
        for (ChangeEvent e : events) {
            Map<String, Object> row = new HashMap<>(8);
            row.put("k", keyValues(e));
            row.put("vv", e.version() == 0 ? null : e.version());
            if (e.operation() == Operation.DELETE) {
                deletes.add(row);
                continue;
            }
            String problem;
            try {
                row.put("p", properties(e));
                problem = addUpsertFields(row, e);
            } catch (GraphValues.BadValue bad) {
                problem = bad.getMessage();
            }
            if (problem != null) {
                failed.add(new FailedEvent(e, "table '" + schema.name() + "', key " + e.keyText() + ": " + problem
                        + (deleteRefused() ? "; its relationship (if any) was removed" : ""), null));
                if (deleteRefused()) {
                    refusedDeletes.add(row);
                }
            } else {
                upserts.add(row);
            }
        }
        long staleDeletes = 0;
        long applied = 0;
        String what = "write " + events.size() + " changes to '" + schema.name() + "'";
        try (Session s = sink.connection().session(); Transaction tx = s.beginTransaction()) {
            if (!deletes.isEmpty()) {
                staleDeletes = tx.run(deleteCypher(), Map.of("rows", deletes)).single().get(0).asLong();
            }
            if (!refusedDeletes.isEmpty()) {
                tx.run(deleteCypher(), Map.of("rows", refusedDeletes)).consume();
            }
            if (!upserts.isEmpty()) {
                applied = tx.run(upsertCypher(), Map.of("rows", upserts)).single().get(0).asLong();
            }
            Neo4jCheckpointStore store = sink.store();
            if (batch.checkpoint().isPresent() && store != null && store.issued(batch.checkpoint().get().lease())) {
                store.saveIn(tx, batch.checkpoint().get());
            }
            tx.commit();
        } catch (RuntimeException e) {
            throw Neo4jConnection.map(what, e);
        }
        int skipped = (int) (upserts.size() - applied + staleDeletes);
        return WriteResult.of((int) applied, (int) (deletes.size() - staleDeletes), skipped, failed);
    }

    private List<Object> keyValues(ChangeEvent e) {
        List<Object> k = new ArrayList<>(e.key().size());
        int[] idx = schema.keyIndexes();
        for (int i = 0; i < idx.length; i++) {
            try {
                k.add(GraphValues.toGraph(schema.columns().get(idx[i]), e.key().get(i)));
            } catch (GraphValues.BadValue bad) {
                throw new dev.dbsync.spi.DataException("table '" + schema.name() + "', key " + e.keyText() + ": " + bad.getMessage());
            }
        }
        return k;
    }

    /** The row's columns as properties (nulls left out: an absent property is Neo4j's null) plus its version. */
    Map<String, Object> properties(ChangeEvent e) throws GraphValues.BadValue {
        Map<String, Object> p = new HashMap<>(schema.columns().size() * 2);
        List<Column> cols = schema.columns();
        for (int i = 0; i < cols.size(); i++) {
            Object v = GraphValues.toGraph(cols.get(i), e.values().get(i));
            if (v != null) {
                p.put(cols.get(i).name(), v);
            }
        }
        if (e.version() != 0) {
            p.put(sink.versionProperty(), e.version());
        }
        return p;
    }

    /** The values of {@code columns} of the row, converted, or null when any is null (no reference, as in SQL). */
    List<Object> reference(ChangeEvent e, int[] columns) throws GraphValues.BadValue {
        List<Object> out = new ArrayList<>(columns.length);
        for (int c : columns) {
            Object v = GraphValues.toGraph(schema.columns().get(c), e.values().get(c));
            if (v == null) {
                return null;
            }
            out.add(v);
        }
        return out;
    }

    /** {@code {`a`: <prefix>[0], `b`: <prefix>[1]}} for the property names. */
    static String propertyMap(List<String> names, String prefix) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(Cypher.id(names.get(i))).append(": ").append(prefix).append('[').append(i).append(']');
        }
        return sb.append('}').toString();
    }

    /** {@code (n.`a` <> <prefix>[0] OR …)}: the node's properties differ from the values. */
    static String differs(String variable, List<String> names, String prefix) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                sb.append(" OR ");
            }
            sb.append(variable).append('.').append(Cypher.id(names.get(i))).append(" <> ").append(prefix).append('[').append(i).append(']');
        }
        return sb.append(')').toString();
    }

    /** The guard every update passes: unversioned change, unversioned target, or target not newer. */
    String fresh(String variable) {
        return "(row.vv IS NULL OR " + variable + "." + version + " IS NULL OR " + variable + "." + version + " <= row.vv)";
    }

    /** Runs {@code cypher} (which returns a count) in its own transactions until it returns less than {@link #CHUNK}. */
    void repeatUntilDone(String what, String cypher, Map<String, Object> params) {
        Map<String, Object> p = new HashMap<>(params);
        p.put("limit", CHUNK);
        try (Session s = sink.connection().session()) {
            long n;
            do {
                n = s.executeWrite(tx -> tx.run(cypher, p).single().get(0).asLong());
            } while (n >= CHUNK);
        } catch (RuntimeException e) {
            throw Neo4jConnection.map(what, e);
        }
    }

    @Override
    public void flush() {
        // every batch was committed by write: nothing is buffered
    }

    @Override
    public void close() {
        // nothing buffered, nothing held: the sink owns the connection
    }
}
