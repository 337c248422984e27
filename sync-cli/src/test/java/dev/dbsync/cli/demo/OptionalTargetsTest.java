package dev.dbsync.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.Connectors;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which optional databases a run uses, the settings their sinks get, and that passwords stay out of reports. */
class OptionalTargetsTest {

    private static final Environment.Options NONE = new Environment.Options(null, null, null, null, null, null, null,
            null, true, null, null, null);

    private static List<Target> targets(Environment.Options o, Environment.Scope scope, List<String> skipped,
                                        StringWriter log) {
        List<Target> targets = new ArrayList<>();
        OptionalTargets.add(o, "t_1", scope, Connectors.load(), new PrintWriter(log, true), targets, skipped);
        return targets;
    }

    @Test
    void givenUrlsBecomeTargetsWithTheirOwnNamesAndNoPasswordInReports() {
        Environment.Options o = NONE.withMongo("mongodb://app:s3cret@db:27017/?replicaSet=rs0")
                .withRedis("redis://:r3dis@cache:6379/0").withElastic("http://es:9200", "elastic", "e1astic")
                .withNeo4j("bolt://graph:7687", "neo4j", "n3o");
        List<String> skipped = new ArrayList<>();
        StringWriter log = new StringWriter();
        List<Target> targets = targets(o, Environment.Scope.BENCH, skipped, log);
        assertEquals(List.of("mongo", "elasticsearch", "redis", "neo4j"), targets.stream().map(Target::type).toList());
        assertEquals("dbsync_t_1", targets.get(0).settings().get("database"));
        assertEquals("dbsync_t_1_", targets.get(1).settings().get("index.prefix"));
        assertEquals(List.of("orders=customer_id"), targets.get(2).settings().get("index.sets"));
        assertEquals(List.of("products=updated_at"), targets.get(2).settings().get("index.sorted"));
        assertEquals(List.of("order_items=CONTAINS_T_1"), targets.get(3).settings().get("join.tables"));
        for (Target t : targets) {
            for (String secret : List.of("s3cret", "r3dis", "e1astic", "n3o")) {
                assertFalse(t.kind().contains(secret), t.kind());
            }
        }
        for (String secret : List.of("s3cret", "r3dis", "e1astic", "n3o")) {
            assertFalse(log.toString().contains(secret), log.toString());
        }
        assertTrue(skipped.isEmpty(), skipped.toString());
    }

    @Test
    void theDemoUsesMongoOnlyAndNothingIsUsedUnlessGiven() {
        List<String> skipped = new ArrayList<>();
        List<Target> none = targets(NONE, Environment.Scope.BENCH, skipped, new StringWriter());
        assertTrue(none.isEmpty());
        assertEquals(4, skipped.size(), skipped.toString());
        assertTrue(skipped.get(0).contains("--mongo-imitation"), skipped.toString());

        skipped.clear();
        List<Target> demo = targets(NONE.withMongo(null).withRedis("redis://cache:6379"), Environment.Scope.DEMO,
                skipped, new StringWriter());
        assertEquals(1, demo.size());
        assertEquals("MongoDB imitation", demo.get(0).name());
        assertTrue(demo.get(0).kind().contains("NOT MongoDB"), demo.get(0).kind());
        assertEquals(List.of("Redis: not used by the demo (the benchmarks use it)"), skipped);
        assertEquals(Map.of("url", demo.get(0).queryUrl(), "database", "dbsync_t_1"), demo.get(0).settings());
    }
}
