package dev.dbsync.spi;

import java.util.List;

/**
 * Optional capability of a {@link Source} that offers a change feed (change data capture), such as
 * PostgreSQL logical replication or MongoDB change streams. A source that implements it can be used with
 * the CDC strategy.
 *
 * <p>Hand-over from snapshot to stream: the engine first calls {@link #streamStart(List)}, then snapshots
 * the tables, then opens the stream from the returned position. Changes made during the snapshot are
 * delivered again by the stream; idempotent writes make that harmless.
 */
public interface StreamingSource {

    /**
     * The name of the pipeline the feed serves, given by the engine once, before any other call of this interface. A
     * source whose feed has a name on the server (a replication slot) derives its default from it when none was
     * configured, so two pipelines never share a feed by accident. The default ignores it.
     */
    default void pipelineName(String pipeline) {
    }

    /**
     * Prepares the feed for these tables (e.g. creates the publication and replication slot, or reuses
     * them) and returns the position from which the stream delivers every change committed after this call.
     */
    Position streamStart(List<TableSpec> tables);

    /**
     * Opens the feed at {@code from} (exclusive of changes already acknowledged) for these tables.
     * Called from one thread; the returned stream is used only by that thread.
     */
    ChangeStream openStream(List<TableSchema> tables, List<TableSpec> specs, Position from);

    /**
     * Releases what the feed holds on the source for this pipeline — e.g. PostgreSQL's replication slot, which
     * retains the server's log until it is dropped — when the pipeline is dropped ({@code SyncEngine.drop()},
     * called after the pipeline's checkpoints were cleared). Does nothing when there is nothing to release;
     * refuses with an {@link ErrorType#EXTERNAL} {@link SyncException} naming the holder while a process still
     * reads the feed. The default holds nothing.
     *
     * @return what was released (or kept, and why), for the log and the command line
     */
    default String dropFeed() {
        return "the change feed holds nothing on the source";
    }

    /**
     * What the feed holds on the source and how far behind it is (e.g. a replication slot's retained WAL), for the
     * report, the listener and a warning when the feed keeps too much. Called by the engine between polls, at most
     * every few seconds; must be cheap (one query) and must not throw for a feed not yet created. The default:
     * unknown.
     */
    default java.util.Optional<FeedStatus> feedStatus() {
        return java.util.Optional.empty();
    }

    /**
     * The order of this feed's positions, when it has one: negative when {@code a} comes before {@code b}. It must
     * agree with {@link #openStream}: a stream opened at {@code p} delivers exactly the events whose positions come
     * after {@code p}. With an order, a sink added to a running pipeline of several sinks is snapshotted while the
     * others keep streaming, and is then brought by the feed from the position its snapshot started at up to theirs
     * (the source retains it: the engine holds its acknowledgements back meanwhile). Without one (the default) the
     * other sinks wait while the added sink is snapshotted.
     */
    default java.util.Optional<java.util.Comparator<Position>> positionOrder() {
        return java.util.Optional.empty();
    }
}
