package dev.dbsync.spi;

/**
 * What a change feed holds on its source and how far behind it is, from {@link StreamingSource#feedStatus()}.
 *
 * @param retainedBytes the source's log the feed keeps from being removed (PostgreSQL: WAL from the slot's
 *                      restart position to the server's current position); -1 when unknown
 * @param lagBytes      how far what the pipeline acknowledged is behind the source's current position (PostgreSQL:
 *                      the slot's confirmed flush position); -1 when unknown
 * @param detail        what the figures refer to, e.g. the slot's name and whether it is active; never null
 */
public record FeedStatus(long retainedBytes, long lagBytes, String detail) {

    public FeedStatus {
        if (detail == null) {
            throw new NullPointerException("detail is null");
        }
    }

    /** Bytes in a short human form: 512 B, 3.4 MB, 1.2 GB. */
    public static String bytes(long n) {
        if (n < 0) {
            return "unknown";
        }
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }

    @Override
    public String toString() {
        return "retains " + bytes(retainedBytes) + ", " + bytes(lagBytes) + " behind (" + detail + ")";
    }
}
