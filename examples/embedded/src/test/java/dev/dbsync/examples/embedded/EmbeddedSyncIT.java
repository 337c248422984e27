package dev.dbsync.examples.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.testkit.PostgresServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example run twice against real PostgreSQL databases, as cron would run it. */
class EmbeddedSyncIT {

    @TempDir
    Path state;

    @Test
    void copiesThenFollowsChangesAndVerifies() throws Exception {
        PostgresServer pg = PostgresServer.get();
        String src = pg.createDatabase("embedded_src");
        String dst = pg.createDatabase("embedded_dst");
        try (Connection c = pg.connect(src); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer text, total numeric(12,2), "
                    + "updated_at timestamptz NOT NULL, is_deleted boolean NOT NULL DEFAULT false)");
            s.execute("INSERT INTO orders SELECT g, 'customer ' || (g % 7), g * 3.5, "
                    + "timestamptz '2025-01-01' + g * interval '1 second', false FROM generate_series(1, 500) g");
        }
        Map<String, String> env = new HashMap<>();
        env.put("SOURCE_URL", src);
        env.put("TARGET_URL", dst);
        env.put("SOURCE_USER", pg.username());
        env.put("TARGET_USER", pg.username());
        if (pg.password() != null) {
            env.put("SOURCE_PASSWORD", pg.password());
            env.put("TARGET_PASSWORD", pg.password());
        }
        env.put("TABLES", "public.orders");
        env.put("STATE_DIR", state.toString());
        EmbeddedSync.Settings settings = EmbeddedSync.Settings.fromEnvironment(env);
        assertEquals(List.of("public.orders"), settings.tables());

        String first = run(settings, 0);
        assertTrue(first.contains("public.orders \u2192 orders: equal, 500 source rows, 500 target rows"), first);
        assertEquals(500, count(pg, dst));

        try (Connection c = pg.connect(src); Statement s = c.createStatement()) {
            s.execute("UPDATE orders SET total = 1, updated_at = now() WHERE id <= 10");
            s.execute("UPDATE orders SET is_deleted = true, updated_at = now() WHERE id BETWEEN 11 AND 15");
            s.execute("INSERT INTO orders VALUES (501, 'new', 2, now(), false)");
        }
        String second = run(settings, 0);
        assertTrue(second.contains("equal, 496 source rows, 496 target rows"), second);
        assertEquals(496, count(pg, dst));

        // a change the sync never made is caught by the verification and fails the run
        try (Connection c = pg.connect(dst); Statement s = c.createStatement()) {
            s.execute("UPDATE orders SET customer = 'tampered' WHERE id = 42");
        }
        String third = run(settings, 1);
        assertTrue(third.contains("values differ: [42]"), third);
    }

    @Test
    void aMissingSettingIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EmbeddedSync.Settings.fromEnvironment(Map.of("SOURCE_URL", "jdbc:postgresql://h/db")));
        assertTrue(e.getMessage().contains("TARGET_URL"), e.getMessage());
    }

    private static String run(EmbeddedSync.Settings settings, int expectedExit) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = EmbeddedSync.run(settings, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(expectedExit, code, out);
        return out;
    }

    private static long count(PostgresServer pg, String url) throws Exception {
        try (Connection c = pg.connect(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM orders")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
