package dev.dbsync.cli.demo;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** A description of the machine a run measured, for reports: CPU, cores, memory, OS and JVM. */
public final class Machine {

    private Machine() {
    }

    /** Markdown lines describing this machine. */
    public static String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("- CPU: ").append(cpuModel()).append(", ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores available to the JVM\n");
        long total = totalMemory();
        sb.append("- Memory: ").append(total > 0 ? String.format(Locale.ROOT, "%.1f GiB", total / (double) (1L << 30)) : "unknown")
                .append(String.format(Locale.ROOT, " (JVM max heap %.1f GiB)%n", Runtime.getRuntime().maxMemory() / (double) (1L << 30)));
        sb.append("- OS: ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version"))
                .append(' ').append(System.getProperty("os.arch")).append('\n');
        sb.append("- JVM: ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.runtime.version")).append(" (").append(System.getProperty("java.vendor"))
                .append(")\n");
        return sb.toString();
    }

    private static long totalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return -1;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (Exception e) {
            // not Linux: the architecture is all we know
        }
        return System.getProperty("os.arch");
    }
}
