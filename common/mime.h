/*
 * mime: file name extension -> Content-Type, for labnet-httpd.
 *
 * A table is read from a mime.types file ("type/subtype ext1 ext2 ...",
 * '#' starts a comment; Debian's media-types package installs
 * /etc/mime.types) into an open-addressing hash table, so a lookup per
 * request costs one hash of a short extension and a probe or two.  A new
 * table starts with a built-in list of the common web types, which a
 * successful load replaces and a failed one (file missing, unreadable)
 * leaves in place, so the server always has an answer.
 *
 * Rules, decided once here:
 *   - Only the last extension counts, as in nginx: "x.tar.gz" is a gzip
 *     file, "x.html.bak" is not HTML.  One rule keeps lookups O(1) and keeps
 *     "evil.html.txt"-style names from being served as something they end
 *     in only part way.  A leading dot is not an extension (".htaccess" has
 *     none), nor is a trailing one.
 *   - Extensions compare case-insensitively (ASCII).
 *   - every text/ type, application/javascript, application/json and image/svg+xml
 *     get "; charset=<charset>" appended (the charset is configurable, and
 *     may be empty for none).
 *   - Unknown or missing extensions get the configurable default type.
 *   - When an extension appears on several lines, the last line wins.
 *   - Loading is bounded (MIME_LINE_MAX, MIME_EXT_MAX, MIME_MAX_ENTRIES)
 *     and a malformed line or extension is skipped and counted, never
 *     fatal.
 * A table is immutable after loading and may be shared by threads for
 * lookups.  To reload, build a new table and swap it in.
 */
#ifndef LABNET_MIME_H
#define LABNET_MIME_H

#include <stddef.h>

#define MIME_LINE_MAX    1024 /* bytes per line, newline included */
#define MIME_EXT_MAX     32   /* bytes per extension */
#define MIME_TYPE_MAX    127  /* bytes per type/subtype */
#define MIME_MAX_ENTRIES 8192 /* extensions per table (Debian's has ~1,500) */

struct mime_table;

/* Returns a table holding the built-in web types, or NULL when out of
 * memory or when an argument is invalid.  default_type (NULL:
 * "application/octet-stream") must be "token/token"; charset (NULL:
 * "utf-8", "": append none) must be a token.  Both are copied. */
struct mime_table *mime_table_new(const char *default_type, const char *charset);

void mime_table_free(struct mime_table *t);

/* Replaces the table's entries with those of the file at path.  Returns 0,
 * or a negative errno when the file cannot be opened or read (the current
 * entries, initially the built-ins, stay) or -ENOMEM (likewise).
 * Malformed lines, extensions over MIME_EXT_MAX, lines over MIME_LINE_MAX
 * and entries past MIME_MAX_ENTRIES are skipped and counted, see
 * mime_table_skipped.  Blocking file I/O: call at startup or reload only. */
int mime_table_load(struct mime_table *t, const char *path);

/* The Content-Type for the NUL-terminated file name or path name (its
 * last '/'-separated component counts).  Never NULL; the string lives
 * until mime_table_free (or the next mime_table_load). */
const char *mime_lookup(const struct mime_table *t, const char *name);

/* Extensions currently known. */
size_t mime_table_count(const struct mime_table *t);

/* Lines and extensions skipped by the last mime_table_load. */
size_t mime_table_skipped(const struct mime_table *t);

#endif
