// A tolerant scanner of JSON text for the CLI's commands: it steps over values without
// validating them (an unclosed string or bracket runs to the end of the text), iteratively,
// so no nesting depth can exhaust the stack. Readers check what they take out.
#ifndef TM_JSON_SCAN_H
#define TM_JSON_SCAN_H

static inline const char *json_ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

// Skips one JSON value starting at s; returns the first char after it.
static inline const char *skip_value(const char *s) {
    if (*s == '"') {
        for (s++; *s && *s != '"'; s++) if (*s == '\\' && s[1]) s++;
        return *s ? s + 1 : s;
    }
    if (*s == '{' || *s == '[') {
        int depth = 0;
        for (; *s; s++) {
            if (*s == '"') { s = skip_value(s) - 1; continue; }
            if (*s == '{' || *s == '[') depth++;
            if ((*s == '}' || *s == ']') && --depth == 0) return s + 1;
        }
        return s;
    }
    while (*s && *s != ',' && *s != '}' && *s != ']') s++;
    return s;
}

#endif
