package dev.dbsync.cli.demo;

import dev.dbsync.cli.datagen.GenerationReport;
import dev.dbsync.engine.SinkReport;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableReport;
import dev.dbsync.verify.TableVerification;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Writes the demo's results as Markdown and as a bar chart. */
final class DemoReport {

    private DemoReport() {
    }

    static void write(Demo.Result r, Environment env, Path md, Path png) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("# dbsync demo report\n\n");
        sb.append("Run at ").append(Instant.now()).append(String.format(Locale.ROOT, ", %.1f s in total. ", r.seconds()))
                .append(r.ok() ? "**Every target equals the source.**" : "**Differences found.**").append("\n\n");
        sb.append("## Machine\n\n").append(Machine.describe());
        sb.append("- Source: ").append(env.postgresKind()).append('\n');
        for (Demo.TargetRun t : r.targets()) {
            sb.append("- Target ").append(t.target().name()).append(": ").append(t.target().kind()).append('\n');
        }
        for (String s : r.skipped()) {
            sb.append("- ").append(s).append('\n');
        }

        GenerationReport g = r.generation();
        sb.append("\n## Generated data set\n\n| table | rows | seconds | rows/s |\n|---|---:|---:|---:|\n");
        for (GenerationReport.TableReport t : g.tables()) {
            sb.append(String.format(Locale.ROOT, "| %s | %,d | %.2f | %,.0f |%n", t.table(), t.rows(),
                    t.elapsed().toNanos() / 1e9, t.rowsPerSecond()));
        }
        sb.append(String.format(Locale.ROOT, "| **total** | %,d | %.2f | %,.0f |%n", g.totalRows(),
                g.loadTime().toNanos() / 1e9, g.rowsPerSecond()));
        sb.append(String.format(Locale.ROOT, "%nCOPY with %d connections; keys, indexes and ANALYZE took %.2f s.%n",
                g.parallelism(), g.indexTime().toNanos() / 1e9));

        sb.append("\n## Changes made in PostgreSQL before the incremental sync\n\n")
                .append("| table | inserted | updated | soft-deleted | expected upserts | expected deletes |\n")
                .append("|---|---:|---:|---:|---:|---:|\n");
        for (Demo.TableChanges c : r.changes().values()) {
            sb.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %,d | %,d | %,d |%n", c.table(), c.inserted(),
                    c.updated(), c.softDeleted(), c.expectedUpserted(), c.expectedDeleted()));
        }
        sb.append("\nExpected upserts = inserted + updated rows that were not deleted afterwards.\n");

        if (!r.targets().isEmpty() && !r.targets().get(0).full().sinks().isEmpty()) {
            SyncReport full = r.targets().get(0).full();
            SyncReport inc = r.targets().get(0).incremental();
            sb.append("\n## One read, ").append(full.sinks().size()).append(" sinks\n\n")
                    .append(String.format(Locale.ROOT, "The source was read once per sync (full: %,d rows read; incremental: %,d)"
                            + " and every target received every change:%n%n", full.rowsRead(), inc.rowsRead()))
                    .append("| sink | state | full: upserted | incremental: upserted | incremental: deleted | failed |\n")
                    .append("|---|---|---:|---:|---:|---:|\n");
            for (int i = 0; i < full.sinks().size(); i++) {
                SinkReport f = full.sinks().get(i);
                SinkReport n = inc.sinks().get(i);
                sb.append(String.format(Locale.ROOT, "| %s | %s | %,d | %,d | %,d | %,d |%n", f.sink(), n.state(), f.upserted(),
                        n.upserted(), n.deleted(), f.failed() + n.failed()));
            }
        }
        for (Demo.TargetRun t : r.targets()) {
            sb.append("\n## PostgreSQL → ").append(t.target().name()).append("\n\n### Full sync\n\n");
            syncTable(sb, t.full(), null);
            sb.append("\n### Incremental sync\n\n");
            syncTable(sb, t.incremental(), r.changes());
            sb.append("\n### Verification after the incremental sync\n\n")
                    .append("| table | source rows | target rows | chunks | result | changed rows found | deleted rows left |\n")
                    .append("|---|---:|---:|---:|---|---:|---:|\n");
            for (TableVerification v : t.verified()) {
                String name = Demo.shortName(v.table());
                sb.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %d | %s | %,d of %,d | %,d |%n", name,
                        v.sourceRows(), v.targetRows(), v.chunks(), Demo.result(v),
                        t.changedRowsFound().get(name), r.changes().get(name).expectedUpserted(),
                        t.deletedRowsFound().get(name)));
            }
        }
        sb.append("\n![inserted, updated, deleted and failed rows per table](").append(png.getFileName()).append(")\n");
        Files.createDirectories(md.toAbsolutePath().getParent());
        Files.writeString(md, sb.toString(), StandardCharsets.UTF_8);
        chart(r, png);
    }

    private static void syncTable(StringBuilder sb, SyncReport report, Map<String, Demo.TableChanges> changes) {
        if (changes == null) {
            sb.append("| table | rows read | upserted | deleted | failed | seconds | rows/s | status |\n")
                    .append("|---|---:|---:|---:|---:|---:|---:|---|\n");
        } else {
            sb.append("| table | inserted | updated | rows read | upserted (expected) | deleted (expected) | failed | seconds | rows/s | status |\n")
                    .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        }
        for (TableReport t : report.tables()) {
            String status = t.succeeded() ? "ok" : "FAILED: " + t.error().replace('|', '/');
            if (changes == null) {
                sb.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %,d | %,d | %.2f | %,.0f | %s |%n",
                        Demo.shortName(t.table()), t.rowsRead(), t.upserted(), t.deleted(), t.failed(),
                        t.duration().toMillis() / 1000.0, t.rowsPerSecond(), status));
            } else {
                Demo.TableChanges c = changes.get(Demo.shortName(t.table()));
                sb.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %,d | %,d (%,d) | %,d (%,d) | %,d | %.2f | %,.0f | %s |%n",
                        c.table(), c.inserted(), c.updated(), t.rowsRead(), t.upserted(), c.expectedUpserted(),
                        t.deleted(), c.expectedDeleted(), t.failed(), t.duration().toMillis() / 1000.0,
                        t.rowsPerSecond(), status));
            }
        }
        sb.append(String.format(Locale.ROOT, "%nTotal: read %,d, upserted %,d, deleted %,d, failed %,d in %.2f s.%n",
                report.rowsRead(), report.upserted(), report.deleted(), report.failed(),
                report.duration().toMillis() / 1000.0));
    }

    private static void chart(Demo.Result r, Path png) throws IOException {
        List<String> categories = new ArrayList<>();
        List<Long> inserted = new ArrayList<>();
        List<Long> updated = new ArrayList<>();
        List<Long> deleted = new ArrayList<>();
        List<Long> failed = new ArrayList<>();
        boolean several = r.targets().size() > 1;
        if (!r.targets().isEmpty() && !r.targets().get(0).incremental().sinks().isEmpty()) {
            // one read into several sinks: per table the rows read once, then what each sink applied
            SyncReport inc = r.targets().get(0).incremental();
            List<Long> upserted = new ArrayList<>();
            for (TableReport tr : inc.tables()) {
                categories.add(Demo.shortName(tr.table()) + " (read once)");
                upserted.add(tr.upserted());
                deleted.add(tr.deleted());
                failed.add(tr.failed());
            }
            for (SinkReport k : inc.sinks()) {
                categories.add("all tables → " + k.sink());
                upserted.add(k.upserted());
                deleted.add(k.deleted());
                failed.add(k.failed());
            }
            Map<String, List<? extends Number>> series = new LinkedHashMap<>();
            series.put("upserted", upserted);
            series.put("deleted", deleted);
            series.put("failed", failed);
            Charts.bars(png, "Incremental sync from one read: rows per table and per sink", "rows", categories, series, false);
            return;
        }
        for (Demo.TargetRun t : r.targets()) {
            for (TableReport tr : t.incremental().tables()) {
                Demo.TableChanges c = r.changes().get(Demo.shortName(tr.table()));
                categories.add(c.table() + (several ? " → " + t.target().name() : ""));
                inserted.add((long) c.inserted());
                updated.add(tr.upserted() - c.inserted());
                deleted.add(tr.deleted());
                failed.add(tr.failed());
            }
        }
        Map<String, List<? extends Number>> series = new LinkedHashMap<>();
        series.put("inserted", inserted);
        series.put("updated", updated);
        series.put("deleted", deleted);
        series.put("failed", failed);
        Charts.bars(png, "Incremental sync after the changes: rows per table", "rows", categories, series, false);
    }
}
