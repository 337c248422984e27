package dev.dbsync.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.cli.datagen.EcommerceTable;
import dev.dbsync.engine.TableReport;
import dev.dbsync.testkit.ClickHouseServer;
import dev.dbsync.testkit.PostgresServer;
import dev.dbsync.verify.TableVerification;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo at a small size on the test kit's PostgreSQL and ClickHouse (given by URL, from Testcontainers, or the
 * local launchers the demo itself uses): every figure it reports is checked against the source database itself.
 */
class DemoIT {

    @TempDir
    Path out;

    @Test
    void demoSyncsChangesAndVerifiesEveryTarget() throws Exception {
        StringWriter log = new StringWriter();
        PostgresServer pg = PostgresServer.get();
        ClickHouseServer clickhouse = ClickHouseServer.get();
        Environment.Options servers = new Environment.Options(pg.createDatabase("demo_source"), pg.username(),
                pg.password(), pg.createDatabase("demo_target"), clickhouse.httpUrl(), clickhouse.username(), clickhouse.password(),
                "dbsync_demo_it_" + Long.toString(System.nanoTime() & 0xffffff, 36), false, null, null, null);
        Demo demo = new Demo(new Demo.Options(5_000, 42, servers, out, 2),
                new PrintWriter(log, true), step -> new dev.dbsync.engine.SyncListener() { });
        Demo.Result r = demo.run();

        assertTrue(r.ok(), log.toString());
        assertEquals(2, r.targets().size(), "PostgreSQL and ClickHouse: " + log);
        assertEquals("PostgreSQL", r.targets().get(0).target().name());
        assertEquals("ClickHouse", r.targets().get(1).target().name());
        assertEquals(5_000, r.generation().table("orders").rows());
        // one read for both targets: the source rows are read once, and each sink applied all of them
        dev.dbsync.engine.SyncReport full = r.targets().get(0).full();
        assertEquals(r.generation().totalRows(), full.rowsRead(), "read once: " + full.toText());
        assertEquals(java.util.List.of("postgres", "clickhouse"), full.sinks().stream().map(s -> s.sink()).toList());
        long expectedIncremental = r.changes().values().stream().mapToLong(Demo.TableChanges::expectedUpserted).sum();
        for (dev.dbsync.engine.SinkReport k : full.sinks()) {
            assertEquals(dev.dbsync.engine.SinkReport.State.CURRENT, k.state(), full.toText());
            assertEquals(r.generation().totalRows(), k.upserted(), k.sink() + ": " + full.toText());
        }
        for (dev.dbsync.engine.SinkReport k : r.targets().get(0).incremental().sinks()) {
            assertEquals(expectedIncremental, k.upserted(), k.sink() + ": " + r.targets().get(0).incremental().toText());
        }

        for (Demo.TargetRun t : r.targets()) {
            for (TableReport tr : t.full().tables()) {
                String name = Demo.shortName(tr.table());
                assertTrue(tr.succeeded(), tr.toString());
                assertEquals(r.generation().table(name).rows(), tr.rowsRead(), t.target().name() + " full " + name);
                assertEquals(r.generation().table(name).rows(), tr.upserted(), t.target().name() + " full " + name);
            }
            for (TableReport tr : t.incremental().tables()) {
                Demo.TableChanges c = r.changes().get(Demo.shortName(tr.table()));
                assertEquals(c.expectedUpserted(), tr.upserted(), t.target().name() + " incremental " + c);
                assertEquals(c.expectedDeleted(), tr.deleted(), t.target().name() + " incremental " + c);
                assertEquals(0, tr.failed());
            }
            for (TableVerification v : t.verified()) {
                String name = Demo.shortName(v.table());
                assertTrue(v.equal(), t.target().name() + ": " + v);
                assertTrue(v.verified() && v.expectedDifferences() == 0, t.target().name() + ": " + v);
                assertEquals(v.sourceRows(), v.targetRows(), name);
                assertEquals(r.changes().get(name).expectedUpserted(), (long) t.changedRowsFound().get(name), name);
                assertEquals(0, (int) t.deletedRowsFound().get(name), name);
            }
        }
        Demo.TableChanges orders = r.changes().get("orders");
        assertEquals(50, orders.inserted());
        assertEquals(100, orders.updated());
        assertEquals(25, orders.softDeleted());

        // live rows per table in the PostgreSQL target, counted with SQL: generated + inserted - soft-deleted
        Target target = r.targets().get(0).target();
        try (Connection c = pg.connect(target.queryUrl()); Statement s = c.createStatement()) {
            for (EcommerceTable t : EcommerceTable.values()) {
                Demo.TableChanges ch = r.changes().get(t.tableName());
                long expected = r.generation().table(t.tableName()).rows() + ch.inserted() - ch.softDeleted();
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + t.tableName())) {
                    rs.next();
                    assertEquals(expected, rs.getLong(1), t.tableName());
                }
                assertEquals(expected, (long) r.sourceRows().get(t.tableName()), t.tableName());
            }
        }

        // the Markdown report and the chart
        String md = Files.readString(r.markdown());
        assertTrue(md.contains("# dbsync demo report") && md.contains("Every target equals the source"), md);
        assertTrue(md.contains("| orders | 50 | 100 | 25 | " + orders.expectedUpserted() + " | 25 |"), md);
        assertTrue(orders.expectedUpserted() > 100 && orders.expectedUpserted() <= 150, orders.toString());
        assertTrue(md.contains("## PostgreSQL → PostgreSQL"), md);
        assertTrue(md.contains("## One read, 2 sinks") && md.contains("| clickhouse | CURRENT |"), md);
        assertTrue(md.contains("![inserted, updated, deleted and failed rows per table](demo-chart.png)"), md);
        BufferedImage png = ImageIO.read(r.chart().toFile());
        assertTrue(png.getWidth() >= 900 && png.getHeight() >= 500, png.toString());
        assertTrue(Files.size(r.chart()) > 10_000, "a chart with content, not a blank image");
    }
}
