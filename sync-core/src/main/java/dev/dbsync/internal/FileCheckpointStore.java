package dev.dbsync.internal;

import dev.dbsync.spi.Checkpoint;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.SyncException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * One file per pipeline and table under a directory. A save writes a temporary file, forces it to disk and
 * renames it over the old one atomically, so a crash leaves either the old or the new checkpoint.
 */
public final class FileCheckpointStore implements CheckpointStore {

    private final Path dir;

    public FileCheckpointStore(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new SyncException(ErrorType.EXTERNAL, "cannot create checkpoint directory " + dir + ": " + e, e);
        }
    }

    private Path file(String pipeline, String table) {
        return dir.resolve(safe(pipeline) + "__" + safe(table) + ".checkpoint");
    }

    /** File-name-safe form: letters, digits, '.', '-', '_' kept; other characters as %XX of their UTF-8 bytes. */
    static String safe(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (Character.isLetterOrDigit(c) && c < 128 || c == '.' || c == '-' || (c == '_' && sb.length() > 0
                    && sb.charAt(sb.length() - 1) != '_')) {
                sb.append(c);
            } else {
                sb.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return sb.toString();
    }

    @Override
    public Optional<Checkpoint> load(String pipeline, String table) {
        Path f = file(pipeline, table);
        try {
            return Optional.of(Checkpoint.decode(Files.readString(f, StandardCharsets.UTF_8)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new SyncException(ErrorType.EXTERNAL, "cannot read checkpoint " + f + ": " + e, e);
        } catch (IllegalArgumentException e) {
            throw new SyncException(ErrorType.EXTERNAL, "checkpoint file " + f + " is corrupt: " + e.getMessage(), e);
        }
    }

    @Override
    public void save(String pipeline, String table, Checkpoint checkpoint) {
        Path f = file(pipeline, table);
        Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(checkpoint.encode().getBytes(StandardCharsets.UTF_8));
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new SyncException(ErrorType.EXTERNAL, "checkpoint directory " + dir
                        + " does not support atomic rename; choose a local file system", e);
            }
            forceDirectory();
        } catch (IOException e) {
            throw new SyncException(ErrorType.EXTERNAL, "cannot save checkpoint " + f + ": " + e, e);
        }
    }

    /** Makes the rename itself durable; file systems that cannot sync a directory are left as they are. */
    private void forceDirectory() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // e.g. Windows cannot open a directory; the rename is still atomic there
        }
    }

    @Override
    public void clear(String pipeline, String table) {
        try {
            Files.deleteIfExists(file(pipeline, table));
        } catch (IOException e) {
            throw new SyncException(ErrorType.EXTERNAL, "cannot delete checkpoint " + file(pipeline, table) + ": " + e, e);
        }
    }
}
