package dev.dbsync.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line without databases: validation, listings, usage errors and exit codes. */
class DbsyncCliTest {

    @TempDir
    Path dir;

    private Path file(String name, String yaml) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, yaml);
        return p;
    }

    private static final String VALID = """
            pipeline: p
            source: { type: postgres, url: "jdbc:postgresql://localhost/shop", user: sync }
            sink: { type: test-files, dir: out }
            tables:
              - { table: public.orders, strategy: incremental, cursor: [updated_at], softDelete: is_deleted }
              - public.customers
            """;

    @Test
    void validateAcceptsAGoodFile() throws Exception {
        Cli r = Cli.run("validate", file("ok.yaml", VALID).toString());
        assertEquals(ExitCodes.OK, r.code(), r.toString());
        assertTrue(r.out().contains("dbsync: OK"), r.toString());
        assertTrue(r.out().contains("public.orders -> orders (incremental, cursor updated_at, soft delete is_deleted)"), r.toString());
    }

    @Test
    void validateNamesTheBadSettingAndExits2() throws Exception {
        Cli r = Cli.run("validate", file("bad.yaml", VALID.replace("jdbc:postgresql://localhost/shop", "mysql://x")).toString());
        assertEquals(ExitCodes.CONFIG, r.code(), r.toString());
        assertTrue(r.err().startsWith("dbsync: error: invalid setting 'source.url'"), r.toString());
    }

    @Test
    void validateNamesUnknownSettingsSectionsAndTableFields() throws Exception {
        Cli unknownKey = Cli.run("validate", file("k.yaml", VALID.replace("dir: out", "dir: out, colour: red")).toString());
        assertEquals(ExitCodes.CONFIG, unknownKey.code(), unknownKey.toString());
        assertTrue(unknownKey.err().contains("'sink.colour'"), unknownKey.toString());

        Cli section = Cli.run("validate", file("s.yaml", VALID + "verify: { x: 1 }\n").toString());
        assertEquals(ExitCodes.CONFIG, section.code(), section.toString());
        assertTrue(section.err().contains("'verify'"), section.toString());

        Cli strategy = Cli.run("validate", file("t.yaml", VALID.replace("strategy: incremental", "strategy: sometimes")).toString());
        assertEquals(ExitCodes.CONFIG, strategy.code(), strategy.toString());
        assertTrue(strategy.err().contains("'tables[0].strategy'"), strategy.toString());
    }

    @Test
    void unknownConnectorListsTheAvailableOnes() throws Exception {
        Cli r = Cli.run("validate", file("c.yaml", VALID.replace("type: test-files", "type: oracle")).toString());
        assertEquals(ExitCodes.CONFIG, r.code(), r.toString());
        assertTrue(r.err().contains("no sink named 'oracle'") && r.err().contains("test-files"), r.toString());
    }

    @Test
    void missingEnvironmentVariableIsAConfigError() throws Exception {
        Cli r = Cli.run("validate", file("e.yaml", VALID.replace("user: sync", "password: \"${env:DBSYNC_TEST_SURELY_UNSET}\"")).toString());
        assertEquals(ExitCodes.CONFIG, r.code(), r.toString());
        assertTrue(r.err().contains("source.password") && r.err().contains("DBSYNC_TEST_SURELY_UNSET"), r.toString());
    }

    @Test
    void missingFileAndUsageErrorsExit2() {
        Cli missing = Cli.run("validate", dir.resolve("nope.yaml").toString());
        assertEquals(ExitCodes.CONFIG, missing.code(), missing.toString());
        assertTrue(missing.err().contains("nope.yaml"), missing.toString());

        Cli unknownCommand = Cli.run("frobnicate");
        assertEquals(ExitCodes.CONFIG, unknownCommand.code(), unknownCommand.toString());

        Cli noArgument = Cli.run("run");
        assertEquals(ExitCodes.CONFIG, noArgument.code(), noArgument.toString());
        assertTrue(noArgument.err().contains("PIPELINE"), noArgument.toString());

        Cli badDuration = Cli.run("run", "x.yaml", "--watch", "--duration", "soon");
        assertEquals(ExitCodes.CONFIG, badDuration.code(), badDuration.toString());
    }

    @Test
    void helpDocumentsTheExitCodes() {
        Cli r = Cli.run("--help");
        assertEquals(ExitCodes.OK, r.code(), r.toString());
        for (String s : new String[] {"run", "validate", "verify", "connectors", "demo", "bench", "generate",
                "0  success", "2  invalid configuration", "3  verify found differences", "4  a database could not be reached"}) {
            assertTrue(r.out().contains(s), "help mentions " + s + "\n" + r);
        }
    }

    @Test
    void connectorsListsEveryFactoryWithItsSettings() {
        Cli r = Cli.run("connectors");
        assertEquals(ExitCodes.OK, r.code(), r.toString());
        String out = r.out();
        int sources = out.indexOf("Sources:");
        int sinks = out.indexOf("Sinks:");
        int stores = out.indexOf("Checkpoint stores:");
        assertTrue(sources >= 0 && sinks > sources && stores > sinks, out);
        String sinkPart = out.substring(sinks, stores);
        for (String name : new String[] {"postgres", "clickhouse", "crate", "test-files"}) {
            assertTrue(sinkPart.contains("  " + name + " "), "sink " + name + " listed\n" + out);
        }
        for (String name : new String[] {"postgres", "clickhouse", "crate"}) {
            assertTrue(out.substring(sources, sinks).contains("  " + name + " "), "source " + name + " listed\n" + out);
        }
        assertTrue(out.substring(stores).contains("  file "), out);
        assertTrue(out.contains("dev.dbsync.cli.PluginSinkFactory"), out);
        assertTrue(out.matches("(?s).*\\n\\s+dir\\s+string\\s+required\\s+directory of the table files.*"), out);
        assertTrue(out.matches("(?s).*\\n\\s+password\\s+string\\s+optional\\s+\\[secret] password.*"), out);
        assertTrue(out.matches("(?s).*\\n\\s+schema\\s+string\\s+default public\\s+.*"), out);
    }

    @Test
    void verifyNeedsASourceConnectorForTheTarget() throws Exception {
        Cli r = Cli.run("verify", file("v.yaml", VALID).toString());
        assertEquals(ExitCodes.CONFIG, r.code(), r.toString());
        assertTrue(r.err().contains("'--target-type'") && r.err().contains("test-files"), r.toString());
    }

    @Test
    void progressLinesShowABarWhenTheTotalIsKnown() {
        assertEquals("  public.orders          [###############...............] 50 / 100 rows  1,234 rows/s",
                ProgressBar.line("public.orders", true, 50, 100, 1234.4, 0));
        assertEquals("  orders                 changes 7 rows  10 rows/s  2 failed",
                ProgressBar.line("orders", false, 7, -1, 10, 2));
    }
}
