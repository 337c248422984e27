package dev.dbsync.neo4j;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.neo4j.driver.Record;
import org.neo4j.driver.Session;

/** Shared helpers: sinks on the test server, unique names, Cypher queries, events. */
abstract class GraphTestSupport {

    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final String RUN = Long.toString(System.nanoTime() % 1_000_000, 36);
    private static final AtomicLong VERSION = new AtomicLong(1_000);

    final Neo4jTestServer server = Neo4jTestServer.get();
    private final List<AutoCloseable> opened = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
        opened.clear();
    }

    /** A name unique to this run, e.g. for tables (labels). */
    static String unique(String base) {
        return base + "_" + RUN + "_" + SEQ.incrementAndGet();
    }

    Sink sink(Object... settings) {
        Sink s = new Neo4jSinkFactory().create(new Neo4jSinkFactory().configDef().parse(server.settings(settings)));
        opened.add(s);
        return s;
    }

    <T extends AutoCloseable> T closeLater(T c) {
        opened.add(c);
        return c;
    }

    List<Record> query(String cypher, Object... params) {
        Map<String, Object> p = new java.util.HashMap<>();
        for (int i = 0; i < params.length; i += 2) {
            p.put((String) params[i], params[i + 1]);
        }
        try (Session s = server.driver().session()) {
            return s.run(cypher, p).list();
        }
    }

    long count(String cypher, Object... params) {
        return query(cypher, params).get(0).get(0).asLong();
    }

    static long nextVersion() {
        return VERSION.incrementAndGet();
    }

    static ChangeEvent up(TableSchema s, Object... row) {
        return upAt(s, nextVersion(), row);
    }

    static ChangeEvent upAt(TableSchema s, long version, Object... row) {
        int[] k = s.keyIndexes();
        Object[] key = new Object[k.length];
        for (int i = 0; i < k.length; i++) {
            key[i] = row[k[i]];
        }
        return ChangeEvent.upsert(s.name(), key, row, version, Position.of(key));
    }

    static ChangeEvent del(TableSchema s, Object... key) {
        return ChangeEvent.delete(s.name(), key, null, nextVersion(), Position.of(key));
    }

    static ChangeEvent delAt(TableSchema s, long version, Object... key) {
        return ChangeEvent.delete(s.name(), key, null, version, Position.of(key));
    }
}
