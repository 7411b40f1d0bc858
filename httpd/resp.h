/*
 * resp: one HTTP response as the connection sends it: a head (status line
 * and header fields, built by the handler into its own buffer) and a body
 * made of segments, each either bytes in memory or a range of an open file
 * (sent with sendfile, so file data never passes through user space).
 * Multipart/byteranges is head + alternating memory (part headers) and file
 * segments.  The response owns its file descriptor and memory.
 */
#ifndef LABNET_HTTPD_RESP_H
#define LABNET_HTTPD_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fc_entry;

#define RESP_HEAD_MAX 4096
#define RESP_MAX_SEGS 40 /* 16 ranges: part header + data each, closing boundary */

struct resp_seg {
    const char *mem; /* memory segment, or NULL for a file range */
    uint64_t off;    /* file offset (file segments) */
    uint64_t len;
};

struct httpd_resp {
    int status;
    bool close; /* close the connection after this response */
    char head[RESP_HEAD_MAX];
    size_t head_len;
    struct resp_seg segs[RESP_MAX_SEGS];
    size_t n_segs;
    int file_fd;               /* for file segments, or -1; released by resp_reset */
    struct fc_entry *file_ref; /* the file cache's entry behind file_fd, or NULL */
    const char *file_data;     /* file_ref's in-memory copy: file segments send from it */
    char *mem;                 /* owned memory the segments may point into */
    uint64_t body_len;         /* sum of segment lengths (for the access log) */
    char visitor[64];          /* visitor id for the access log, "" when none */
    char extra_hdrs[640];      /* lines every head of this request carries (Set-Cookie) */
    /* Access-log fields, escaped and quoted: "GET / HTTP/1.1" and
     * "referer" "user-agent". */
    char log_request[512];
    char log_tail[768];
};

void resp_init(struct httpd_resp *r);
/* Releases the file and memory and empties r for the next response. */
void resp_reset(struct httpd_resp *r);

/* The response sends from fd (owned: closed, or released to the file
 * cache when ref is non-NULL, by resp_reset). */
void resp_take_file(struct httpd_resp *r, int fd, struct fc_entry *ref);

/* Releases the file early (an error page replaces a file response). */
void resp_drop_file(struct httpd_resp *r);

#endif
