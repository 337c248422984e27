package dev.dbsync.cli.demo;

import dev.dbsync.engine.Connectors;
import dev.dbsync.servers.LocalClickHouse;
import dev.dbsync.servers.LocalPostgres;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The databases of a demo or benchmark run: the PostgreSQL source and every target that can be had. Given URLs
 * win; otherwise PostgreSQL is an embedded server ({@link LocalPostgres}) and ClickHouse is the chdb engine
 * ({@link LocalClickHouse}, under the Node.js on the PATH or one it fetches). Servers started here live until the
 * JVM exits (one per JVM, shared by every run). A target that cannot be had is skipped with a line saying why;
 * PostgreSQL is always one.
 */
public final class Environment {

    /**
     * Where the servers are; null fields mean "start or create one" for PostgreSQL and ClickHouse, and "leave it
     * out" for the other databases, which are used only when given ({@code mongoImitation} starts an in-process
     * imitation of MongoDB's wire protocol instead of a real MongoDB).
     */
    public record Options(String postgresUrl, String postgresUser, String postgresPassword, String postgresTargetUrl,
                          String clickhouseUrl, String clickhouseUser, String clickhousePassword,
                          String clickhouseDatabase, boolean noClickhouse,
                          String crateUrl, String crateUser, String cratePassword,
                          String mongoUrl, boolean mongoImitation, String elasticUrl, String elasticUser,
                          String elasticPassword, String redisUrl, String neo4jUrl, String neo4jUser,
                          String neo4jPassword) {

        /** PostgreSQL, ClickHouse and CrateDB only. */
        public Options(String postgresUrl, String postgresUser, String postgresPassword, String postgresTargetUrl,
                       String clickhouseUrl, String clickhouseUser, String clickhousePassword,
                       String clickhouseDatabase, boolean noClickhouse,
                       String crateUrl, String crateUser, String cratePassword) {
            this(postgresUrl, postgresUser, postgresPassword, postgresTargetUrl, clickhouseUrl, clickhouseUser,
                    clickhousePassword, clickhouseDatabase, noClickhouse, crateUrl, crateUser, cratePassword,
                    null, false, null, null, null, null, null, null, null);
        }

        /** Everything local: embedded PostgreSQL, ClickHouse when it can be started here, no CrateDB. */
        public static Options local() {
            return new Options(null, null, null, null, null, null, null, null, false, null, null, null);
        }

        /** The same without ClickHouse. */
        public Options withoutClickhouse() {
            return new Options(postgresUrl, postgresUser, postgresPassword, postgresTargetUrl, null, null, null, null,
                    true, crateUrl, crateUser, cratePassword, mongoUrl, mongoImitation, elasticUrl, elasticUser,
                    elasticPassword, redisUrl, neo4jUrl, neo4jUser, neo4jPassword);
        }

        /** The same with MongoDB at {@code url}, or the in-process imitation when {@code url} is null. */
        public Options withMongo(String url) {
            return new Options(postgresUrl, postgresUser, postgresPassword, postgresTargetUrl, clickhouseUrl,
                    clickhouseUser, clickhousePassword, clickhouseDatabase, noClickhouse, crateUrl, crateUser,
                    cratePassword, url, url == null, elasticUrl, elasticUser, elasticPassword, redisUrl, neo4jUrl,
                    neo4jUser, neo4jPassword);
        }

        /** The same with Redis at {@code url}. */
        public Options withRedis(String url) {
            return new Options(postgresUrl, postgresUser, postgresPassword, postgresTargetUrl, clickhouseUrl,
                    clickhouseUser, clickhousePassword, clickhouseDatabase, noClickhouse, crateUrl, crateUser,
                    cratePassword, mongoUrl, mongoImitation, elasticUrl, elasticUser, elasticPassword, url, neo4jUrl,
                    neo4jUser, neo4jPassword);
        }

        /** The same with Elasticsearch at {@code url}. */
        public Options withElastic(String url, String user, String password) {
            return new Options(postgresUrl, postgresUser, postgresPassword, postgresTargetUrl, clickhouseUrl,
                    clickhouseUser, clickhousePassword, clickhouseDatabase, noClickhouse, crateUrl, crateUser,
                    cratePassword, mongoUrl, mongoImitation, url, user, password, redisUrl, neo4jUrl, neo4jUser,
                    neo4jPassword);
        }

        /** The same with Neo4j at {@code url}. */
        public Options withNeo4j(String url, String user, String password) {
            return new Options(postgresUrl, postgresUser, postgresPassword, postgresTargetUrl, clickhouseUrl,
                    clickhouseUser, clickhousePassword, clickhouseDatabase, noClickhouse, crateUrl, crateUser,
                    cratePassword, mongoUrl, mongoImitation, elasticUrl, elasticUser, elasticPassword, redisUrl, url,
                    user, password);
        }
    }

    /** Which of the optional databases a run may sync into (the demo: MongoDB; the benchmarks: all). */
    public enum Scope {
        /** MongoDB beside PostgreSQL, ClickHouse and CrateDB. */
        DEMO,
        /** Every database given. */
        BENCH
    }

    private final String sourceUrl;
    private final String user;
    private final String password;
    private final String postgresKind;
    private final List<Target> targets;
    private final List<String> skipped;

    private Environment(String sourceUrl, String user, String password, String postgresKind, List<Target> targets,
                        List<String> skipped) {
        this.sourceUrl = sourceUrl;
        this.user = user;
        this.password = password;
        this.postgresKind = postgresKind;
        this.targets = List.copyOf(targets);
        this.skipped = List.copyOf(skipped);
    }

    /**
     * Resolves the servers: creates fresh source and target databases on a local PostgreSQL, and fresh databases
     * on a local ClickHouse. Prints what it uses and what it skips.
     *
     * @param label a prefix for the databases created, e.g. {@code demo}
     */
    public static Environment resolve(Options o, String label, Connectors connectors, PrintWriter out) throws SQLException {
        return resolve(o, label, Scope.BENCH, connectors, out);
    }

    /** As {@link #resolve(Options, String, Connectors, PrintWriter)}, with the optional databases {@code scope} allows. */
    public static Environment resolve(Options o, String label, Scope scope, Connectors connectors, PrintWriter out)
            throws SQLException {
        String srcUrl;
        String tgtUrl;
        String user;
        String password;
        String kind;
        if (o.postgresUrl() != null) {
            srcUrl = o.postgresUrl();
            user = o.postgresUser();
            password = o.postgresPassword();
            tgtUrl = o.postgresTargetUrl() != null ? o.postgresTargetUrl()
                    : recreateDatabase(srcUrl, user, password, "dbsync_" + label + "_target");
            kind = "PostgreSQL at " + withoutQuery(srcUrl) + ", " + version(srcUrl, user, password);
        } else {
            out.println("Starting embedded PostgreSQL (first start unpacks the binaries) …");
            out.flush();
            LocalPostgres pg = localPostgres();
            user = pg.username();
            password = null;
            srcUrl = recreateDatabase(pg.jdbcUrl(), user, password, "dbsync_" + label + "_source");
            tgtUrl = recreateDatabase(pg.jdbcUrl(), user, password, "dbsync_" + label + "_target");
            kind = pg.kind() + ", " + version(srcUrl, user, password);
        }
        List<Target> targets = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        targets.add(new Target("PostgreSQL", "postgres", settings("url", tgtUrl, "user", user, "password", password),
                kind, tgtUrl, user, password));
        out.println("PostgreSQL: " + kind);

        if (!o.noClickhouse()) {
            clickhouse(o, label, connectors, out, targets, skipped);
        } else {
            skipped.add("ClickHouse: skipped (--no-clickhouse)");
        }
        if (o.crateUrl() != null) {
            if (has(connectors, "crate")) {
                String crateUser = o.crateUser() != null ? o.crateUser() : "crate";
                String jdbc = o.crateUrl().startsWith("crate://")
                        ? "jdbc:postgresql://" + o.crateUrl().substring("crate://".length()) : o.crateUrl();
                targets.add(new Target("CrateDB", "crate", settings("url", o.crateUrl(), "user", crateUser,
                        "password", o.cratePassword()), "CrateDB at " + withoutQuery(o.crateUrl()), jdbc, crateUser,
                        o.cratePassword()));
            } else {
                skipped.add("CrateDB: skipped (the crate connector is not on the class path)");
            }
        } else {
            skipped.add("CrateDB: skipped (no server runs locally without Docker; give --crate-url)");
        }
        String tag = label + "_" + Long.toString(System.nanoTime() & 0xffffff, 36);
        OptionalTargets.add(o, tag, scope, connectors, out, targets, skipped);
        skipped.forEach(out::println);
        out.flush();
        return new Environment(srcUrl, user, password, kind, targets, skipped);
    }

    private static void clickhouse(Options o, String label, Connectors connectors, PrintWriter out,
                                   List<Target> targets, List<String> skipped) {
        if (!has(connectors, "clickhouse")) {
            skipped.add("ClickHouse: skipped (the clickhouse connector is not on the class path)");
            return;
        }
        String url;
        String user;
        String password;
        String kind;
        String database;
        if (o.clickhouseUrl() != null) {
            url = o.clickhouseUrl();
            user = o.clickhouseUser() != null ? o.clickhouseUser() : "default";
            password = o.clickhousePassword() != null ? o.clickhousePassword() : "";
            database = o.clickhouseDatabase() != null ? o.clickhouseDatabase() : "dbsync_" + label;
            kind = "ClickHouse at " + url;
        } else {
            out.println("Starting ClickHouse (chdb under Node.js; the first start installs it with npm) …");
            out.flush();
            try {
                LocalClickHouse ch = localClickHouse();
                url = ch.httpUrl();
                user = ch.username();
                password = ch.password();
                kind = ch.kind();
                database = "dbsync_" + label + "_" + Long.toString(System.nanoTime() & 0xffffff, 36);
            } catch (RuntimeException e) {
                skipped.add("ClickHouse: skipped (could not start it locally: " + e.getMessage()
                        + "; give --clickhouse-url)");
                return;
            }
        }
        try {
            new ClickHouseHttp(url, user, password, "default").execute("CREATE DATABASE IF NOT EXISTS `" + database + "`");
        } catch (RuntimeException e) {
            skipped.add("ClickHouse: skipped (" + url + " refused CREATE DATABASE: " + e.getMessage() + ")");
            return;
        }
        targets.add(new Target("ClickHouse", "clickhouse", settings("url", url, "user", user, "password", password,
                "database", database), kind, url, user, password));
        out.println("ClickHouse: " + kind + ", database " + database);
    }

    static boolean has(Connectors c, String name) {
        return c.sinks().stream().anyMatch(f -> f.name().equals(name))
                && c.sources().stream().anyMatch(f -> f.name().equals(name));
    }

    private static LocalPostgres postgres;
    private static LocalClickHouse clickhouse;
    private static RuntimeException clickhouseFailure;

    /** The embedded PostgreSQL of this JVM, started on first use (its shutdown hook stops it). */
    private static synchronized LocalPostgres localPostgres() {
        if (postgres == null) {
            postgres = LocalPostgres.start();
        }
        return postgres;
    }

    /** The local ClickHouse of this JVM, started on first use; a failed start is not tried again. */
    private static synchronized LocalClickHouse localClickHouse() {
        if (clickhouseFailure != null) {
            throw clickhouseFailure;
        }
        if (clickhouse == null) {
            try {
                clickhouse = LocalClickHouse.start();
            } catch (RuntimeException e) {
                clickhouseFailure = e;
                throw e;
            }
        }
        return clickhouse;
    }

    static Map<String, Object> settings(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] != null) {
                m.put((String) kv[i], kv[i + 1]);
            }
        }
        return m;
    }

    private static String recreateDatabase(String url, String user, String password, String name) throws SQLException {
        try (Connection c = connect(url, user, password); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name);
            s.execute("CREATE DATABASE " + name);
        }
        int q = url.indexOf('?');
        String base = q < 0 ? url : url.substring(0, q);
        return base.substring(0, base.lastIndexOf('/') + 1) + name + (q < 0 ? "" : url.substring(q));
    }

    static Connection connect(String url, String user, String password) throws SQLException {
        Properties p = new Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        return DriverManager.getConnection(url, p);
    }

    private static String version(String url, String user, String password) throws SQLException {
        try (Connection c = connect(url, user, password); Statement s = c.createStatement();
             var rs = s.executeQuery("SHOW server_version")) {
            rs.next();
            return "PostgreSQL " + rs.getString(1);
        }
    }

    static String withoutQuery(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }

    /** JDBC URL of the source database. */
    public String sourceUrl() {
        return sourceUrl;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    /** Where PostgreSQL came from and its version. */
    public String postgresKind() {
        return postgresKind;
    }

    /** The targets, PostgreSQL first; never empty. */
    public List<Target> targets() {
        return targets;
    }

    /** One line per target that was skipped, saying why. */
    public List<String> skipped() {
        return skipped;
    }

    /** The settings of the PostgreSQL source connector. */
    public Map<String, Object> sourceSettings() {
        return settings("url", sourceUrl, "user", user, "password", password);
    }
}
