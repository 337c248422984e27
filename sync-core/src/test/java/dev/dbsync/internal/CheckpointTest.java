package dev.dbsync.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.dbsync.spi.Position;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CheckpointTest {

    @Test
    void checkpointsRoundTrip() {
        Checkpoint cp = new Checkpoint(Checkpoint.Phase.SNAPSHOT, Position.of(42L), Position.of(Instant.EPOCH, null), 42);
        assertEquals(cp, Checkpoint.decode(cp.encode()));
        Checkpoint done = new Checkpoint(Checkpoint.Phase.DONE, null, null, 0, "full;key=[]");
        assertEquals(done, Checkpoint.decode(done.encode()));
        assertThrows(IllegalArgumentException.class, () -> Checkpoint.decode("{}"));
    }
}
