package dev.dbsync.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.engine.DeadLetter;
import dev.dbsync.engine.DeadLetterHandler;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.SyncException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes rejected records as JSON lines; see {@link DeadLetterHandler#jsonl}. */
public final class JsonlDeadLetterHandler implements DeadLetterHandler {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final long limit;
    private long count;

    public JsonlDeadLetterHandler(Path file, long limit) {
        this.file = file;
        this.limit = limit;
    }

    @Override
    public synchronized void handle(DeadLetter letter) {
        if (++count > limit) {
            throw new SyncException(ErrorType.DATA, "table '" + letter.table() + "', key " + letter.event().keyText()
                    + ": more than " + limit + " rejected records (written to " + file + "); last reason: " + letter.reason(),
                    letter.cause());
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", Instant.now().toString());
        line.put("pipeline", letter.pipeline());
        line.put("table", letter.table());
        line.put("operation", letter.event().operation().name());
        line.put("key", plain(letter.event().key()));
        line.put("values", plain(letter.event().values()));
        line.put("position", letter.event().position().encode());
        line.put("reason", letter.reason());
        if (letter.cause() != null) {
            line.put("cause", letter.cause().toString());
        }
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE)) {
                w.write(JSON.writeValueAsString(line));
                w.write('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write dead letter to " + file, e);
        }
    }

    /** Event values as JSON-friendly objects: bytes as base64, temporal and UUID values as text. */
    static Object plain(Object v) {
        if (v == null || v instanceof String || v instanceof Number || v instanceof Boolean) {
            return v;
        } else if (v instanceof byte[]) {
            return Base64.getEncoder().encodeToString((byte[]) v);
        } else if (v instanceof Map) {
            Map<String, Object> m = new LinkedHashMap<>();
            ((Map<?, ?>) v).forEach((k, x) -> m.put(String.valueOf(k), plain(x)));
            return m;
        } else if (v instanceof List) {
            List<Object> l = new ArrayList<>();
            ((List<?>) v).forEach(x -> l.add(plain(x)));
            return l;
        }
        return v.toString();
    }
}
