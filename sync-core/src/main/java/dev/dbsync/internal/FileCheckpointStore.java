package dev.dbsync.internal;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.SyncException;
import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.util.HashMap;
import java.util.Map;
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
 * One file per pipeline and key under a directory. A save writes a temporary file, forces it to disk and
 * renames it over the old one atomically, so a crash leaves either the old or the new checkpoint.
 *
 * <p>Leases: the holder of a pipeline keeps an operating-system lock on {@code <pipeline>.lock} for as long as
 * it runs; the lock goes with the process, so a killed holder never blocks the next start. Who holds it is
 * written to {@code <pipeline>.holder} (never read through the locked file: closing any channel of a locked
 * file drops the lock on some systems), and a token counter to {@code <pipeline>.token}.
 */
public final class FileCheckpointStore implements CheckpointStore {

    private final Path dir;
    private final Map<String, Held> held = new HashMap<>();

    private record Held(Lease lease, FileChannel channel, FileLock lock) {
    }

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
    public synchronized Lease acquire(String pipeline, String holder) {
        Path lockFile = dir.resolve(safe(pipeline) + ".lock");
        Path holderFile = dir.resolve(safe(pipeline) + ".holder");
        if (held.containsKey(pipeline)) {
            throw busy(pipeline, held.get(pipeline).lease().holder(), holder);
        }
        FileChannel ch = null;
        try {
            ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                ch.close();
                String other;
                try {
                    other = Files.readString(holderFile, StandardCharsets.UTF_8).trim();
                } catch (IOException e) {
                    other = "another process";
                }
                throw busy(pipeline, other, holder);
            }
            Path tokenFile = dir.resolve(safe(pipeline) + ".token");
            long token = 1;
            try {
                token = Long.parseLong(Files.readString(tokenFile, StandardCharsets.UTF_8).trim()) + 1;
            } catch (NoSuchFileException e) {
                // first lease of this pipeline
            } catch (NumberFormatException e) {
                throw new SyncException(ErrorType.EXTERNAL, "lease token file " + tokenFile + " is corrupt", e);
            }
            writeAtomically(tokenFile, Long.toString(token));
            writeAtomically(holderFile, holder);
            Lease lease = Lease.of(pipeline, holder, token);
            held.put(pipeline, new Held(lease, ch, lock));
            return lease;
        } catch (IOException e) {
            closeQuietly(ch);
            throw new SyncException(ErrorType.EXTERNAL, "cannot lock " + lockFile + ": " + e, e);
        } catch (RuntimeException e) {
            if (!held.containsKey(pipeline)) {
                closeQuietly(ch);
            }
            throw e;
        }
    }

    private static LeaseException busy(String pipeline, String holder, String me) {
        return new LeaseException("pipeline " + pipeline + " is already running, held by " + holder
                + "; refusing to start it a second time from " + me);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }

    @Override
    public synchronized void release(Lease lease) {
        Held h = held.get(lease.pipeline());
        if (h != null && h.lease().equals(lease)) {
            held.remove(lease.pipeline());
            closeQuietly(h.channel());
        }
    }

    private void check(Lease lease) {
        Held h = held.get(lease.pipeline());
        if (h == null || !h.lease().equals(lease) || !h.lock().isValid()) {
            throw new LeaseException("pipeline " + lease.pipeline() + ": the lease of " + lease.holder() + " (token "
                    + lease.token() + ") is no longer held in " + dir + "; checkpoint not saved");
        }
    }

    @Override
    public Optional<String> load(String pipeline, String key) {
        Path f = file(pipeline, key);
        try {
            return Optional.of(Files.readString(f, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new SyncException(ErrorType.EXTERNAL, "cannot read checkpoint " + f + ": " + e, e);
        }
    }

    @Override
    public synchronized void save(Lease lease, String key, String text) {
        check(lease);
        writeAtomically(file(lease.pipeline(), key), text);
    }

    private void writeAtomically(Path f, String text) {
        Path tmp = f.resolveSibling(f.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
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
            throw new SyncException(ErrorType.EXTERNAL, "cannot write " + f + ": " + e, e);
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
    public synchronized void clear(Lease lease, String key) {
        check(lease);
        Path f = file(lease.pipeline(), key);
        try {
            Files.deleteIfExists(f);
            forceDirectory();
        } catch (IOException e) {
            throw new SyncException(ErrorType.EXTERNAL, "cannot delete checkpoint " + f + ": " + e, e);
        }
    }

    @Override
    public synchronized void close() {
        for (Held h : held.values()) {
            closeQuietly(h.channel());
        }
        held.clear();
    }
}
