package dev.dbsync.examples.customsource;

import java.util.ArrayList;
import java.util.List;

/** RFC 4180 fields, with one addition: an empty unquoted field is null, {@code ""} is the empty string. */
final class Csv {

    private Csv() {
    }

    /** The records of {@code text}; a final line break is optional, blank lines are skipped. */
    static List<List<String>> parse(String text) {
        List<List<String>> records = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < n && text.charAt(i + 1) == '"') {
                        field.append('"');
                        i += 2;
                        continue;
                    }
                    quoted = false;
                } else {
                    field.append(c);
                }
                i++;
                continue;
            }
            switch (c) {
                case '"' -> {
                    quoted = true;
                    wasQuoted = true;
                }
                case ',' -> {
                    fields.add(end(field, wasQuoted));
                    wasQuoted = false;
                }
                case '\r' -> {
                    // part of a CRLF line break
                }
                case '\n' -> {
                    fields.add(end(field, wasQuoted));
                    wasQuoted = false;
                    if (!(fields.size() == 1 && fields.get(0) == null)) {
                        records.add(fields);
                    }
                    fields = new ArrayList<>();
                }
                default -> field.append(c);
            }
            i++;
        }
        if (quoted) {
            throw new IllegalArgumentException("a quoted field is not closed before the end of the file");
        }
        if (field.length() > 0 || wasQuoted || !fields.isEmpty()) {
            fields.add(end(field, wasQuoted));
            records.add(fields);
        }
        return records;
    }

    private static String end(StringBuilder field, boolean wasQuoted) {
        String s = field.length() == 0 && !wasQuoted ? null : field.toString();
        field.setLength(0);
        return s;
    }

    /** One record as a line, quoting where needed; null is an empty unquoted field. */
    static String line(List<String> fields) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            String f = fields.get(i);
            if (f == null) {
                continue;
            }
            if (f.isEmpty() || f.indexOf(',') >= 0 || f.indexOf('"') >= 0 || f.indexOf('\n') >= 0
                    || f.indexOf('\r') >= 0) {
                sb.append('"').append(f.replace("\"", "\"\"")).append('"');
            } else {
                sb.append(f);
            }
        }
        return sb.append('\n').toString();
    }
}
