package dev.dbsync.examples.springboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.testkit.PostgresServer;
import dev.dbsync.verify.VerifyReport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The service started as a whole against real PostgreSQL databases: it syncs from its configuration, reports
 * its state at {@code /actuator/health}, its figures at {@code /actuator/metrics}, and its verification finds a
 * change the sync never made.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SyncServiceIT {

    private static final PostgresServer PG = PostgresServer.get();
    private static final String SOURCE = PG.createDatabase("boot_src");
    private static final String TARGET = PG.createDatabase("boot_dst");

    @DynamicPropertySource
    static void pipeline(DynamicPropertyRegistry r) throws Exception {
        try (Connection c = PG.connect(SOURCE); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer text, total numeric(12,2), "
                    + "updated_at timestamptz NOT NULL, is_deleted boolean NOT NULL DEFAULT false)");
            s.execute("INSERT INTO orders SELECT g, 'customer ' || (g % 7), g * 3.5, "
                    + "timestamptz '2025-01-01' + g * interval '1 second', g % 50 = 0 FROM generate_series(1, 300) g");
        }
        r.add("dbsync.source.settings.url", () -> SOURCE);
        r.add("dbsync.source.settings.user", PG::username);
        r.add("dbsync.source.settings.password", () -> PG.password() == null ? "" : PG.password());
        r.add("dbsync.sink.settings.url", () -> TARGET);
        r.add("dbsync.sink.settings.user", PG::username);
        r.add("dbsync.sink.settings.password", () -> PG.password() == null ? "" : PG.password());
        String state = Files.createTempDirectory("dbsync-boot-").toString();
        r.add("dbsync.checkpoint-dir", () -> state);
        r.add("dbsync.poll-interval", () -> "200ms");
    }

    @LocalServerPort
    int port;

    @Autowired
    VerificationJob verification;

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void syncsFromItsConfigurationWithHealthMetricsAndVerification() throws Exception {
        await(() -> count(TARGET) == 294, "the 294 live rows reach the target");

        try (Connection c = PG.connect(SOURCE); Statement s = c.createStatement()) {
            s.execute("UPDATE orders SET total = 0, updated_at = now() WHERE id <= 5");
            s.execute("INSERT INTO orders VALUES (301, 'new', 1, now(), false)");
        }
        await(() -> count(TARGET) == 295 && total(5) == 0, "changes follow within a few polls");

        await(() -> health().path("components").path("dbsync").path("status").asText().equals("UP"),
                "health is UP once a run finished");
        JsonNode dbsync = health().path("components").path("dbsync");
        assertEquals("orders-to-reporting", dbsync.path("details").path("pipeline").asText(), dbsync.toString());
        assertTrue(dbsync.path("details").path("lastRun").path("tables").has("public.orders"), dbsync.toString());

        JsonNode written = get("/actuator/metrics/dbsync.rows.written?tag=table:public.orders");
        assertTrue(written.path("measurements").get(0).path("value").asDouble() >= 295, written.toString());

        VerifyReport equal = verification.verify();
        assertTrue(equal.equal(), equal.toText());
        assertEquals(0.0, get("/actuator/metrics/dbsync.verify.differences").path("measurements").get(0)
                .path("value").asDouble());

        try (Connection c = PG.connect(TARGET); Statement s = c.createStatement()) {
            s.execute("UPDATE orders SET customer = 'tampered' WHERE id = 7");
        }
        VerifyReport different = verification.verify();
        assertFalse(different.equal(), different.toText());
        assertEquals("[7]", different.tables().get(0).different().toString());
        assertEquals(1.0, get("/actuator/metrics/dbsync.verify.differences").path("measurements").get(0)
                .path("value").asDouble());
        JsonNode details = health().path("components").path("dbsync").path("details");
        assertFalse(details.path("verification").path("equal").asBoolean(true), details.toString());
    }

    private JsonNode health() {
        return get("/actuator/health");
    }

    private JsonNode get(String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return json.readTree(r.body());
        } catch (Exception e) {
            throw new IllegalStateException(path, e);
        }
    }

    private static long count(String url) {
        return query(url, "SELECT count(*) FROM orders");
    }

    private static long total(long id) {
        return query(TARGET, "SELECT total FROM orders WHERE id = " + id);
    }

    private static long query(String url, String sql) {
        try (Connection c = PG.connect(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getLong(1) : -1;
        } catch (SQLException e) {
            // the table is created by the sink's first run
            return -1;
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("within 60 s: " + what);
            }
            Thread.sleep(100);
        }
    }
}
