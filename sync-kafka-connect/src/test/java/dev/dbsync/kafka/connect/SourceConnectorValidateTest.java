package dev.dbsync.kafka.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigValue;
import org.junit.jupiter.api.Test;

/**
 * Connect's {@code validate} reports the dbsync connector's own settings: unknown connector names, missing
 * required keys, values the connector's validators refuse, unknown keys, each under its prefixed key, and never
 * a secret's value. Also the task split: tables over tasks, a change feed in one task.
 */
class SourceConnectorValidateTest {

    private static Map<String, List<String>> errors(Config c) {
        return c.configValues().stream().filter(v -> !v.errorMessages().isEmpty())
                .collect(Collectors.toMap(ConfigValue::name, ConfigValue::errorMessages));
    }

    @Test
    void unknownDbsyncConnectorIsReportedOnItsKey() {
        Map<String, String> p = Map.of("name", "x", "dbsync.connector", "nosuch");
        Map<String, List<String>> e = errors(new DbsyncSourceConnector().validate(p));
        assertTrue(e.containsKey("dbsync.connector"), e.toString());
        assertTrue(e.get("dbsync.connector").get(0).contains("nosuch"), e.toString());
    }

    @Test
    void missingAndInvalidSettingsAreReportedUnderTheirPrefixedKeysWithoutSecrets() {
        Map<String, String> p = new HashMap<>();
        p.put("name", "x");
        p.put("dbsync.connector", "postgres");
        p.put("postgres.url", "mysql://nope");
        p.put("postgres.password", "s3cr3t-value");
        p.put("postgres.nonsense", "1");
        Config c = new DbsyncSourceConnector().validate(p);
        Map<String, List<String>> e = errors(c);
        assertTrue(e.containsKey("postgres.nonsense"), "unknown key reported: " + e);
        assertTrue(e.containsKey("postgres.url"), "bad URL reported: " + e);
        assertTrue(e.get("postgres.url").get(0).contains("jdbc:postgresql:"), e.toString());
        assertFalse(c.configValues().toString().contains("s3cr3t-value"), "a secret never appears in validation output");
        assertTrue(c.configValues().stream().anyMatch(v -> v.name().equals("postgres.slot.name")),
                "the connector's own settings are listed for the UI");

        Map<String, String> ok = new HashMap<>(p);
        ok.remove("postgres.nonsense");
        ok.put("postgres.url", "jdbc:postgresql://localhost:1/db");
        assertEquals(Map.of(), errors(new DbsyncSourceConnector().validate(ok)));
    }

    @Test
    void sinkValidationUsesTheSinksDefinition() {
        Map<String, List<String>> e = errors(new DbsyncSinkConnector().validate(Map.of("name", "x", "dbsync.connector", "postgres",
                "topics", "a")));
        assertTrue(e.containsKey("postgres.url"), "required url missing: " + e);
        assertTrue(e.get("postgres.url").get(0).contains("required"), e.toString());
    }

    @Test
    void tablesAreSpreadOverTasksAndAChangeFeedIsOneTask() {
        DbsyncSourceConnector c = new DbsyncSourceConnector();
        Map<String, String> p = new HashMap<>(Map.of("name", "x", "dbsync.connector", "postgres", "postgres.url",
                "jdbc:postgresql://localhost:1/db", "dbsync.tables", "public.a,public.b,public.c", "dbsync.strategy", "full"));
        c.start(p);
        List<Map<String, String>> tasks = c.taskConfigs(2);
        assertEquals(2, tasks.size());
        assertEquals("public.a,public.c", tasks.get(0).get("dbsync.task.tables"));
        assertEquals("public.b", tasks.get(1).get("dbsync.task.tables"));
    }
}
