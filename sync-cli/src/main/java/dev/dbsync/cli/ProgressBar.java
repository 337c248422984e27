package dev.dbsync.cli;

import dev.dbsync.engine.SyncListener;
import dev.dbsync.engine.TableReport;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Shows the progress of a sync as one line per table: redrawn in place on a terminal, or printed every few
 * seconds when the output is a file or a pipe (cron logs stay readable).
 */
public final class ProgressBar implements SyncListener {

    private static final int WIDTH = 30;

    private final PrintWriter out;
    private final boolean interactive;
    private final long minNanos;
    private long lastPrint;
    private boolean lineOpen;

    /**
     * @param out         where to print
     * @param interactive true to redraw one line with carriage returns (a terminal), false to print full lines
     */
    public ProgressBar(PrintWriter out, boolean interactive) {
        this.out = out;
        this.interactive = interactive;
        this.minNanos = interactive ? 100_000_000L : 5_000_000_000L;
        // in a log, a table that finishes within the interval gets its final line only
        this.lastPrint = interactive ? 0 : System.nanoTime();
    }

    /** A progress bar on standard output, interactive when a console is attached. */
    public static ProgressBar console(PrintWriter out) {
        return new ProgressBar(out, System.console() != null);
    }

    @Override
    public synchronized void onProgress(Progress p) {
        long now = System.nanoTime();
        if (now - lastPrint < minNanos) {
            return;
        }
        lastPrint = now;
        print(line(p.table(), p.snapshot(), p.rowsRead(), p.estimatedTotal(), p.rowsPerSecond(), p.failed()), false);
    }

    @Override
    public synchronized void onTableFinished(String pipeline, TableReport r) {
        String status = r.succeeded() ? "done" : "FAILED";
        print(line(r.table(), r.snapshot(), r.rowsRead(), r.snapshot() ? r.rowsRead() : -1, r.rowsPerSecond(), r.failed())
                + "  " + status, true);
        lastPrint = interactive ? 0 : System.nanoTime();
    }

    /** One line: {@code orders  [#########.....]  61,000 / 100,000 rows   45,210 rows/s}. */
    static String line(String table, boolean snapshot, long rows, long total, double perSecond, long failed) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "  %-22s ", shorten(table)));
        if (total > 0) {
            int filled = (int) Math.min(WIDTH, WIDTH * rows / total);
            sb.append('[').append("#".repeat(filled)).append(".".repeat(WIDTH - filled)).append("] ");
            sb.append(String.format(Locale.ROOT, "%,d / %,d rows", rows, total));
        } else {
            sb.append(String.format(Locale.ROOT, "%s %,d rows", snapshot ? "snapshot" : "changes", rows));
        }
        sb.append(String.format(Locale.ROOT, "  %,.0f rows/s", perSecond));
        if (failed > 0) {
            sb.append(String.format(Locale.ROOT, "  %,d failed", failed));
        }
        return sb.toString();
    }

    private static String shorten(String s) {
        return s.length() <= 22 ? s : "…" + s.substring(s.length() - 21);
    }

    private void print(String text, boolean end) {
        if (interactive) {
            out.print("\r" + text + "\u001b[K");
            if (end) {
                out.println();
            }
        } else {
            out.println(text);
        }
        out.flush();
    }
}
