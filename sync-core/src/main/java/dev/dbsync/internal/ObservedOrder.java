package dev.dbsync.internal;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Versions for rows read by cursor or snapshot, in the order the engine observed them. A cursor value is what
 * an application wrote, and can go backwards (a transaction that began earlier commits a row later, carrying
 * its older {@code now()}); a read, though, always returns the row's current state, so a row read later holds a
 * state at least as new. Each chunk's events get the wall clock in microseconds at the read, strictly above any
 * version handed out before in this process: a sink that keeps versions then lets the later read win. A new
 * process continues from its own clock, which is later unless the machine's clock was set back.
 */
final class ObservedOrder {

    private static final AtomicLong LAST = new AtomicLong();

    private ObservedOrder() {
    }

    /** The next version: now in microseconds, above every earlier one. */
    static long next() {
        long now = System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000;
        return LAST.accumulateAndGet(now, (last, n) -> Math.max(last + 1, n));
    }

    /** The chunk with every event carrying one new version. */
    static Chunk stamp(Chunk c) {
        if (c.events().isEmpty()) {
            return c;
        }
        long v = next();
        List<ChangeEvent> out = new ArrayList<>(c.events().size());
        for (ChangeEvent e : c.events()) {
            out.add(e.withVersion(v));
        }
        return new Chunk(out, c.next(), c.last(), c.failed());
    }
}
