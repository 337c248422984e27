package dev.dbsync.internal;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsync.spi.Position;
import java.io.IOException;

/**
 * How far a pipeline got in one table. Saved by the engine only after the sink flushed everything it
 * covers.
 *
 * @param phase         which stage the table is in; never null
 * @param snapshotAfter during {@link Phase#SNAPSHOT}: the key of the last row written (null = none yet)
 * @param changesFrom   where incremental or streaming reads continue (for a snapshot: where they start once
 *                      it completes); null when the table has no cursor and is not streamed
 * @param rows          rows written in the current snapshot so far (progress only)
 * @param config        what the table's configuration was when the checkpoint was made (strategy, key, cursor,
 *                      soft delete; for a change feed the tables it covers), so a run under another
 *                      configuration does not trust a position that means something else; may be null
 */
public record Checkpoint(Phase phase, Position snapshotAfter, Position changesFrom, long rows, String config) {

    /** The stages of a table. */
    public enum Phase {
        /** A full snapshot is under way; resume after {@link #snapshotAfter()}. */
        SNAPSHOT,
        /** A full snapshot is being loaded into a replacement of the target; resume after {@link #snapshotAfter()}. */
        REPLACE,
        /** The snapshot completed (or was not needed); changes are read from {@link #changesFrom()}. */
        CHANGES,
        /** A full snapshot completed and the table is not followed incrementally. */
        DONE
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    public Checkpoint {
        requireNonNull(phase, "phase is null");
    }

    /** A checkpoint without a recorded configuration. */
    public Checkpoint(Phase phase, Position snapshotAfter, Position changesFrom, long rows) {
        this(phase, snapshotAfter, changesFrom, rows, null);
    }

    /** The text form stores keep; {@link #decode(String)} reads it back. */
    public String encode() {
        ObjectNode n = JSON.createObjectNode();
        n.put("phase", phase.name());
        if (snapshotAfter != null) {
            n.put("snapshotAfter", snapshotAfter.encode());
        }
        if (changesFrom != null) {
            n.put("changesFrom", changesFrom.encode());
        }
        n.put("rows", rows);
        if (config != null) {
            n.put("config", config);
        }
        return n.toString();
    }

    /** Parses {@link #encode()}'s output; {@link IllegalArgumentException} names what is malformed. */
    public static Checkpoint decode(String text) {
        requireNonNull(text, "text is null");
        try {
            JsonNode n = JSON.readTree(text);
            if (n == null || !n.hasNonNull("phase")) {
                throw new IllegalArgumentException("malformed checkpoint (no phase): " + text);
            }
            Phase phase = Phase.valueOf(n.get("phase").asText());
            Position after = n.hasNonNull("snapshotAfter") ? Position.decode(n.get("snapshotAfter").asText()) : null;
            Position from = n.hasNonNull("changesFrom") ? Position.decode(n.get("changesFrom").asText()) : null;
            return new Checkpoint(phase, after, from, n.path("rows").asLong(0),
                    n.hasNonNull("config") ? n.get("config").asText() : null);
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed checkpoint: " + text, e);
        }
    }
}
