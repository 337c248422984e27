package dev.dbsync.neo4j;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.SourceContractTest;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.neo4j.driver.Session;
import org.neo4j.driver.Transaction;

/**
 * The source contract against a real Neo4j. A "table" is a label: {@link #createTable} opens the Neo4j sink for
 * the schema (key constraint and table description); rows are written the way an application would, with plain
 * Cypher, and a late writer is an explicit transaction left open.
 */
class Neo4jSourceContractIT extends SourceContractTest {

    private static final Neo4jTestServer SERVER = Neo4jTestServer.get();

    @Override
    protected Source newSource() {
        return new Neo4jSourceFactory().create(new Neo4jSourceFactory().configDef().parse(SERVER.settings()));
    }

    @Override
    protected String createTable(String baseName, TableSchema schema) {
        try (Sink sink = new Neo4jSinkFactory().create(new Neo4jSinkFactory().configDef().parse(SERVER.settings()))) {
            sink.open(schema).close();
        }
        return baseName;
    }

    private static List<Map<String, Object>> params(TableSchema schema, List<List<Object>> rows) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (List<Object> r : rows) {
            Map<String, Object> m = new HashMap<>();
            for (int i = 0; i < r.size(); i++) {
                Column c = schema.columns().get(i);
                Object v = r.get(i);
                m.put(c.name(), c.type() == LogicalType.TIMESTAMP_TZ && v instanceof Instant
                        ? OffsetDateTime.ofInstant((Instant) v, ZoneOffset.UTC) : v);
            }
            out.add(m);
        }
        return out;
    }

    private static String merge(String table) {
        return "UNWIND $rows AS r MERGE (n:" + Cypher.id(table) + " {id: r.id}) SET n += r";
    }

    @Override
    protected void upsertRows(String table, TableSchema schema, List<List<Object>> rows) {
        try (Session s = SERVER.driver().session()) {
            s.executeWrite(tx -> tx.run(merge(table), Map.of("rows", params(schema, rows))).consume());
        }
    }

    @Override
    protected void deleteRows(String table, TableSchema schema, List<List<Object>> keys) {
        List<Object> ids = new ArrayList<>();
        keys.forEach(k -> ids.add(k.get(0)));
        try (Session s = SERVER.driver().session()) {
            s.executeWrite(tx -> tx.run("MATCH (n:" + Cypher.id(table) + ") WHERE n.id IN $ids DETACH DELETE n",
                    Map.of("ids", ids)).consume());
        }
    }

    @Override
    protected LateWrite beginLateWrite(String table, TableSchema schema, List<List<Object>> rows) {
        Session s = SERVER.driver().session();
        Transaction tx = s.beginTransaction();
        tx.run(merge(table), Map.of("rows", params(schema, rows))).consume();
        return () -> {
            try (s; tx) {
                tx.commit();
            }
        };
    }
}
