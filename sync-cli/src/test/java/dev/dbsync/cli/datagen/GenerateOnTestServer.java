package dev.dbsync.cli.datagen;

import dev.dbsync.testkit.PostgresServer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs {@link GenerateMain} against a fresh database of the test kit's PostgreSQL (embedded when nothing else is
 * configured), for measuring generation speed without installing a server.
 */
public final class GenerateOnTestServer {

    private GenerateOnTestServer() {
    }

    public static void main(String[] args) {
        PostgresServer server = PostgresServer.get();
        System.out.println("PostgreSQL: " + server.kind());
        List<String> all = new ArrayList<>(Arrays.asList(args));
        if (!all.contains("--dry-run")) {
            all.addAll(List.of("--url", server.createDatabase("datagen"), "--user", server.username()));
        }
        int code = GenerateMain.run(all.toArray(new String[0]));
        System.exit(code);
    }
}
