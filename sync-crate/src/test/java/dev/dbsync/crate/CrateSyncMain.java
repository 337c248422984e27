package dev.dbsync.crate;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSpec;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One incremental sync PostgreSQL → CrateDB in its own process, for {@link CrateKillIT} to kill: args are the
 * PostgreSQL URL, user and password ({@code -} for none), the CrateDB URL, the checkpoint directory, the
 * pipeline and the target table. Prints the report and exits 0 when the run succeeded.
 */
public final class CrateSyncMain {

    private CrateSyncMain() {
    }

    public static void main(String[] args) {
        SyncReport r = run(args[0], "-".equals(args[1]) ? null : args[1], "-".equals(args[2]) ? null : args[2], args[3],
                Path.of(args[4]), args[5], args[6], 200);
        System.out.println(r.toText());
        System.exit(r.succeeded() ? 0 : 1);
    }

    static SyncReport run(String pgUrl, String pgUser, String pgPassword, String crateUrl, Path checkpoints,
                          String pipeline, String target, int batchRows) {
        Map<String, Object> pg = new LinkedHashMap<>();
        pg.put("url", pgUrl);
        if (pgUser != null) {
            pg.put("user", pgUser);
        }
        if (pgPassword != null) {
            pg.put("password", pgPassword);
        }
        Connectors connectors = Connectors.load();
        try (Source source = connectors.createSource("postgres", pg);
             Sink sink = connectors.createSink("crate", Map.of("url", crateUrl, "replicas", "0", "refresh.interval", "0s"))) {
            return SyncEngine.builder().pipeline(pipeline).source(source).sink(sink)
                    .checkpointStore(CheckpointStores.file(checkpoints)).batchRows(batchRows)
                    .table(TableSync.incremental(TableSpec.of("public.items").withCursor("updated_at")
                            .withSoftDelete("is_deleted")).withTarget(target))
                    .build().runOnce();
        }
    }
}
