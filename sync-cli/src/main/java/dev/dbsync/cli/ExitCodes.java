package dev.dbsync.cli;

import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.SyncException;

/**
 * The exit codes of {@code dbsync}, stable for scripts and cron jobs. Every failure also prints one line on
 * standard error starting with {@code dbsync: error:}.
 */
public final class ExitCodes {

    /** Everything succeeded (for {@code verify}: source and target are equal). */
    public static final int OK = 0;
    /**
     * The sync ran but at least one table failed; the report names the table and the reason. When every failed
     * table failed for one reason that has its own code (a database out of reach: 4; settings: 2), that code.
     */
    public static final int TABLE_FAILED = 1;
    /** Invalid configuration or command line; the message names the key or option. */
    public static final int CONFIG = 2;
    /** {@code verify} found differences between source and target. */
    public static final int DIFFERENCES = 3;
    /** A database could not be reached or refused (connection, authentication, missing table). */
    public static final int EXTERNAL = 4;
    /** An unexpected internal error (a defect): the stack trace is printed. */
    public static final int INTERNAL = 5;

    /** The table printed by {@code --help}. */
    static final String TABLE = "%nExit codes:%n"
            + "  0  success (verify: source and target are equal)%n"
            + "  1  the sync ran but at least one table failed (see the report; 4 or 2 when every failure had that cause)%n"
            + "  2  invalid configuration or usage (the message names the key)%n"
            + "  3  verify found differences%n"
            + "  4  a database could not be reached or refused the request%n"
            + "  5  internal error%n";

    private ExitCodes() {
    }

    /** The exit code for an exception that ended a command. */
    public static int of(Throwable e) {
        if (e instanceof ConfigException || e instanceof IllegalArgumentException) {
            return CONFIG;
        }
        if (e instanceof SyncException s) {
            return switch (s.type()) {
                case CONFIG -> CONFIG;
                case EXTERNAL -> EXTERNAL;
                case DATA -> TABLE_FAILED;
                case INTERNAL -> INTERNAL;
            };
        }
        if (e instanceof java.sql.SQLException || e instanceof java.io.IOException
                || e instanceof java.io.UncheckedIOException) {
            return EXTERNAL;
        }
        return INTERNAL;
    }
}
