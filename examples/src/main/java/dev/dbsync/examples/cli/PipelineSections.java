package dev.dbsync.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.dbsync.spi.ConfigException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The raw {@code source} and {@code sink} settings of a pipeline file, with {@code ${env:NAME}} replaced.
 * {@code verify} needs them to open readers on both databases; {@code PipelineConfig} validates the file first
 * and keeps them to itself.
 */
final class PipelineSections {

    private static final Pattern ENV = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)}");

    private PipelineSections() {
    }

    /** The settings of {@code section} without its {@code type}; empty when the section is missing. */
    static Map<String, Object> settings(Path file, String section) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : raw(file, section).entrySet()) {
            if (!e.getKey().equals("type")) {
                out.put(e.getKey(), substitute(section + "." + e.getKey(), e.getValue()));
            }
        }
        return out;
    }

    private static Map<String, Object> raw(Path file, String section) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        try {
            if (name.endsWith(".properties")) {
                Properties props = new Properties();
                try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    props.load(r);
                }
                Map<String, Object> out = new LinkedHashMap<>();
                String prefix = section + ".";
                props.stringPropertyNames().stream().filter(k -> k.startsWith(prefix))
                        .forEach(k -> out.put(k.substring(prefix.length()), props.getProperty(k)));
                return out;
            }
            ObjectMapper mapper = name.endsWith(".json") ? new ObjectMapper() : new ObjectMapper(new YAMLFactory());
            Object tree = mapper.readValue(file.toFile(), Object.class);
            Object s = tree instanceof Map<?, ?> m ? m.get(section) : null;
            Map<String, Object> out = new LinkedHashMap<>();
            if (s instanceof Map<?, ?> m) {
                m.forEach((k, v) -> out.put(String.valueOf(k), v));
            }
            return out;
        } catch (IOException e) {
            throw new ConfigException(null, "cannot read pipeline file " + file + ": " + e.getMessage());
        }
    }

    private static Object substitute(String key, Object v) {
        if (!(v instanceof String s)) {
            return v;
        }
        Matcher m = ENV.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String value = System.getenv(m.group(1));
            if (value == null) {
                throw new ConfigException(key, "environment variable " + m.group(1) + " is not set");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
