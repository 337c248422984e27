package dev.dbsync.examples.springboot;

import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableReport;
import dev.dbsync.verify.TableVerification;
import dev.dbsync.verify.VerifyReport;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.stereotype.Component;

/**
 * The {@code dbsync} entry of {@code /actuator/health}: UP while the engine runs and its last run succeeded,
 * DOWN when the engine stopped or a table failed (with the table's error), UNKNOWN before the first run ended.
 * The details list each table's last figures and the last verification.
 */
@Component("dbsync")
public class DbsyncHealthIndicator extends AbstractHealthIndicator {

    private final SyncEngine engine;
    private final VerificationJob verification;

    public DbsyncHealthIndicator(SyncEngine engine, VerificationJob verification) {
        super("dbsync health check failed");
        this.engine = engine;
        this.verification = verification;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("pipeline", engine.pipeline()).withDetail("running", engine.isRunning());
        SyncReport last = engine.lastReport();
        if (!engine.isRunning()) {
            builder.down();
        } else if (last == null) {
            builder.unknown().withDetail("lastRun", "none finished yet");
        } else if (last.succeeded()) {
            builder.up();
        } else {
            builder.down();
        }
        if (last != null) {
            Map<String, Object> tables = new LinkedHashMap<>();
            for (TableReport t : last.tables()) {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("rowsRead", t.rowsRead());
                d.put("upserted", t.upserted());
                d.put("deleted", t.deleted());
                d.put("failed", t.failed());
                if (t.error() != null) {
                    d.put("error", t.error());
                }
                tables.put(t.table(), d);
            }
            builder.withDetail("lastRun", Map.of("started", last.started().toString(),
                    "seconds", last.duration().toMillis() / 1000.0, "tables", tables));
        }
        VerifyReport v = verification.lastReport();
        if (v != null) {
            Map<String, Object> tables = new LinkedHashMap<>();
            for (TableVerification t : v.tables()) {
                tables.put(t.table(), t.summary());
            }
            builder.withDetail("verification", Map.of("equal", v.equal(), "tables", tables));
        }
    }
}
