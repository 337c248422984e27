package dev.dbsync.internal;

import dev.dbsync.engine.DeadLetterHandler;
import dev.dbsync.engine.RetryPolicy;
import dev.dbsync.engine.SyncListener;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/** Everything the engine's runners share within one engine. */
public record EngineContext(String pipeline, Source source, Sink sink, Checkpoints checkpoints, int batchRows, int readRows,
                            long batchBytes, int queueCapacity, long flushRows, RetryPolicy retryPolicy,
                            DeadLetterHandler deadLetters, SyncListener listener, Duration progressInterval,
                            boolean truncateBeforeSnapshot, Duration catchUpTimeout, boolean resnapshotWhenFeedLost,
                            AtomicBoolean stopRequested, long feedWarnBytes) {
}
