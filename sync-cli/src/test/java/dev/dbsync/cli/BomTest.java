package dev.dbsync.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The BOM lists every library module of the build, so users who import it get all of them aligned. */
class BomTest {

    private static final Path ROOT = Path.of("..");
    /** Modules users do not depend on as libraries: the command line, the BOM itself, the examples. */
    private static final Set<String> NOT_LIBRARIES = Set.of("sync-cli", "dbsync-bom", "examples");

    @Test
    void everyLibraryModuleOfTheBuildIsInTheBom() throws Exception {
        String root = read(ROOT.resolve("pom.xml"));
        String modules = root.substring(root.indexOf("<modules>"), root.indexOf("</modules>"));
        Set<String> libraries = new TreeSet<>(all(Pattern.compile("<module>([^<]+)</module>"), modules));
        libraries.removeAll(NOT_LIBRARIES);
        assertTrue(libraries.contains("sync-core") && libraries.contains("sync-postgres"), libraries.toString());

        String bom = read(ROOT.resolve("dbsync-bom/pom.xml"));
        assertTrue(!bom.contains("<parent>"), "the BOM must not inherit the build's third-party versions");
        Set<String> listed = new TreeSet<>(all(Pattern.compile(
                "<groupId>dev\\.dbsync</groupId>\\s*<artifactId>([^<]+)</artifactId>\\s*<version>\\$\\{project\\.version}"),
                bom.substring(bom.indexOf("<dependencyManagement>"))));
        for (String module : libraries) {
            String artifact = artifactId(ROOT.resolve(module).resolve("pom.xml"));
            assertTrue(listed.contains(artifact), "the BOM lists " + artifact + "; it lists " + listed);
        }
        String version = artifactVersion(root);
        assertEquals(version, artifactVersion(bom), "the BOM's version is the build's");
    }

    private static String artifactId(Path pom) throws Exception {
        String text = read(pom);
        String afterParent = text.contains("</parent>") ? text.substring(text.indexOf("</parent>")) : text;
        return all(Pattern.compile("<artifactId>([^<]+)</artifactId>"), afterParent).get(0);
    }

    private static String artifactVersion(String pom) {
        String head = pom.contains("<dependencyManagement>") ? pom.substring(0, pom.indexOf("<dependencyManagement>")) : pom;
        head = head.contains("</parent>") ? head.substring(head.indexOf("</parent>")) : head;
        return all(Pattern.compile("<version>([^<]+)</version>"), head).get(0);
    }

    /** The pom without its comments (the BOM's comment shows how to import it). */
    private static String read(Path pom) throws Exception {
        return Files.readString(pom).replaceAll("(?s)<!--.*?-->", "");
    }

    private static List<String> all(Pattern p, String text) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(text);
        while (m.find()) {
            out.add(m.group(1).trim());
        }
        return out;
    }
}
