package dev.dbsync.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.cli.demo.Environment;
import dev.dbsync.engine.SyncListener;
import dev.dbsync.testkit.PostgresServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench queries} and {@code bench writes} beyond the SQL databases, on real servers that start here in
 * seconds: PostgreSQL (the test kit's), Redis (a real redis-server, {@link TestRedis}) and the in-process imitation
 * of MongoDB's wire protocol (mongo-java-server: it shows the pipelines answer like the SQL, nothing about MongoDB).
 * Elasticsearch and Neo4j take part only when {@code DBSYNC_IT_ELASTIC_URL} / {@code DBSYNC_IT_NEO4J_URL} (with
 * {@code DBSYNC_IT_NEO4J_USER}/{@code _PASSWORD}) name a server: starting them takes 10–20 s each, too long for
 * this module's tests (their own modules test them against real servers). ClickHouse is left out here (DemoIT
 * covers it). Every answer of every database is checked against PostgreSQL's by the benchmark itself, and here.
 */
class BenchIT {

    private static final long ORDERS = 2_000;

    @TempDir
    Path out;

    private static Environment.Options servers() throws Exception {
        PostgresServer pg = PostgresServer.get();
        Environment.Options o = new Environment.Options(pg.createDatabase("bench_source"), pg.username(), pg.password(),
                pg.createDatabase("bench_target"), null, null, null, null, true, null, null, null)
                .withMongo(null).withRedis(TestRedis.url());
        String elastic = System.getenv("DBSYNC_IT_ELASTIC_URL");
        if (elastic != null && !elastic.isBlank()) {
            o = o.withElastic(elastic, System.getenv("DBSYNC_IT_ELASTIC_USER"), System.getenv("DBSYNC_IT_ELASTIC_PASSWORD"));
        }
        String neo4j = System.getenv("DBSYNC_IT_NEO4J_URL");
        if (neo4j != null && !neo4j.isBlank()) {
            o = o.withNeo4j(neo4j, System.getenv("DBSYNC_IT_NEO4J_USER"), System.getenv("DBSYNC_IT_NEO4J_PASSWORD"));
        }
        return o;
    }

    @Test
    void queriesAnswerLikePostgresInMongoAndRedis() throws Exception {
        StringWriter log = new StringWriter();
        Environment.Options o = servers();
        List<QueryBenchmark.Timing> timings = new QueryBenchmark(o, ORDERS, 3, 1, out, new PrintWriter(log, true),
                new SyncListener() { }).run();
        Set<String> databases = timings.stream().map(QueryBenchmark.Timing::database).collect(Collectors.toSet());
        assertTrue(databases.containsAll(Set.of("PostgreSQL", "MongoDB imitation", "Redis")), databases + "\n" + log);
        Map<String, String> types = Map.of("MongoDB imitation", "mongo", "Redis", "redis", "Elasticsearch",
                "elasticsearch", "Neo4j", "neo4j");
        if (o.elasticUrl() != null) {
            assertTrue(databases.contains("Elasticsearch"), log.toString());
        }
        if (o.neo4jUrl() != null) {
            assertTrue(databases.contains("Neo4j"), log.toString());
        }
        for (Map.Entry<String, String> db : types.entrySet()) {
            if (!databases.contains(db.getKey())) {
                continue;
            }
            for (Queries.Query q : Queries.ALL) {
                if (q.text(db.getValue()) == null) {
                    continue;
                }
                QueryBenchmark.Timing t = timings.stream().filter(x -> x.database().equals(db.getKey())
                        && x.query().equals(q.name())).findFirst().orElseThrow(() -> new AssertionError(
                        db.getKey() + " was not asked " + q.name() + "\n" + log));
                // every question these databases are asked is also asked of PostgreSQL: compared, and equal
                assertEquals(Boolean.TRUE, t.sameAsReference(), db.getKey() + " " + q.name() + ": " + t.difference()
                        + "\n" + log);
                assertEquals(3, t.answers().size());
                assertTrue(t.medianMs() > 0 && t.p95Ms() >= t.medianMs(), t.toString());
            }
        }
        // the answers compared are real answers: counts equal to the generated rows, lookups that found rows
        QueryBenchmark.Timing count = find(timings, "Redis", "point_lookup");
        assertEquals(1, count.rows(), count.toString());
        QueryBenchmark.Timing mongoCount = find(timings, "MongoDB imitation", "count_orders");
        assertEquals(List.of(ORDERS + "|"), mongoCount.answers().get(0));
        assertFalse(find(timings, "Redis", "latest_products").answers().get(0).isEmpty());
        assertEquals(10, find(timings, "Redis", "latest_products").rows());

        String md = Files.readString(out.resolve("bench-queries.md"), StandardCharsets.UTF_8);
        assertTrue(md.contains("says nothing about MongoDB's speed"), md);
        assertTrue(md.contains("| MongoDB imitation |") || md.contains(" MongoDB imitation |"), md);
        assertTrue(md.contains("Every database answered every shared question as PostgreSQL did."), md);
        assertTrue(md.contains("SMEMBERS"), md);
        assertTrue(Files.size(out.resolve("bench-queries.png")) > 1000);
    }

    @Test
    void aDifferentAnswerIsReported() {
        Queries.Query q = Queries.ALL.get(0);
        QueryBenchmark.Timing pg = new QueryBenchmark.Timing("PostgreSQL", q.name(), 1, 1, 1, "5",
                List.of(List.of("5|")), null, null);
        QueryBenchmark.Timing same = new QueryBenchmark.Timing("Redis", q.name(), 1, 1, 1, "5.00",
                List.of(List.of(Answers.value("5.00") + "|")), null, null);
        QueryBenchmark.Timing other = new QueryBenchmark.Timing("MongoDB", q.name(), 1, 1, 1, "6",
                List.of(List.of("6|")), null, null);
        List<QueryBenchmark.Timing> c = QueryBenchmark.compare(List.of(pg, same, other));
        assertEquals(Boolean.TRUE, c.get(0).sameAsReference());
        assertEquals(Boolean.TRUE, c.get(1).sameAsReference());
        assertEquals(Boolean.FALSE, c.get(2).sameAsReference());
        assertNotNull(c.get(2).difference());
        assertEquals("2024-03-01", Answers.value("2024-03-01 00:00:00"));
        assertEquals("2024-03-01", Answers.value("2024-03-01T00:00:00.000Z"));
        assertEquals("12.3457", Answers.value("12.345678"));
    }

    @Test
    void writesIntoMongoAndRedis() throws Exception {
        StringWriter log = new StringWriter();
        Environment.Options o = servers();
        List<WriteBenchmark.Result> results = new WriteBenchmark(o, ORDERS, out, new PrintWriter(log, true),
                new SyncListener() { }).run();
        Set<String> sinks = results.stream().map(WriteBenchmark.Result::sink).collect(Collectors.toSet());
        assertTrue(sinks.containsAll(Set.of("PostgreSQL", "MongoDB imitation", "Redis")), sinks + "\n" + log);
        if (o.elasticUrl() != null) {
            assertTrue(sinks.contains("Elasticsearch"), sinks.toString());
        }
        if (o.neo4jUrl() != null) {
            assertTrue(sinks.contains("Neo4j"), sinks.toString());
        }
        long rows = results.get(0).rows();
        assertTrue(rows > ORDERS * 3, log.toString());
        for (WriteBenchmark.Result r : results) {
            assertTrue(r.succeeded(), r + "\n" + log);
            assertEquals(rows, r.rows(), r.sink());
            assertTrue(r.rowsPerSecond() > 0, r.toString());
        }
        String md = Files.readString(out.resolve("bench-writes.md"), StandardCharsets.UTF_8);
        assertTrue(md.contains("| MongoDB imitation |") && md.contains("| Redis |"), md);
        assertTrue(md.contains("says nothing about MongoDB's speed"), md);
    }

    private static QueryBenchmark.Timing find(List<QueryBenchmark.Timing> timings, String db, String query) {
        return timings.stream().filter(t -> t.database().equals(db) && t.query().equals(query)).findFirst().orElseThrow();
    }
}
