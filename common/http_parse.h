/*
 * http_parse: incremental, zero-copy HTTP/1.1 message parsing (RFC 9112).
 *
 * Modelled on picohttpparser: the caller keeps everything it has received
 * for the current message in one buffer and passes all of it on every call;
 * the parser returns slices into that buffer and fills a caller-sized header
 * array.  Nothing here allocates, and nothing keeps a pointer past the call
 * except the slices it hands back, which point into the caller's buffer and
 * live exactly as long as it does.
 *
 * Incremental cost: each http_req / http_resp carries a private scan state
 * (how far the previous call looked for the end of the head, as
 * picohttpparser's last_len does), so a client trickling a head byte by byte
 * costs O(bytes) in total, not O(bytes^2).  The head is parsed once, when it
 * is complete.  Zero the struct (or call http_req_init / http_resp_init)
 * before the first call for each message, keep it across calls while the
 * buffer grows, and pass the same buffer start each time.
 *
 * Strictness (request smuggling and response splitting are the threat):
 * obs-fold, bare CR, whitespace before a field name's colon, CTLs in
 * values, bad token characters, Content-Length with Transfer-Encoding,
 * differing Content-Length values, chunked not last in Transfer-Encoding
 * and Transfer-Encoding in HTTP/1.0 are all rejected.  A bare LF is
 * accepted as a line terminator in the head (RFC 9112 2.2 MAY) unless
 * http_limits.reject_bare_lf is set; the chunked decoder always requires
 * CRLF, where LF-only framing is a known smuggling vector.
 */
#ifndef LABNET_HTTP_PARSE_H
#define LABNET_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A view of bytes in the caller's buffer; never NUL-terminated. */
struct http_slice {
    const char *ptr;
    size_t len;
};

/* One field line: name as received (compare case-insensitively), value
 * with leading and trailing whitespace removed. */
struct http_hdr {
    struct http_slice name;
    struct http_slice value;
};

/* Request methods labnet knows (RFC 9110 9.3, RFC 5789).  Named HTTP_M_*
 * so as not to collide with http_parser/llhttp's HTTP_GET and friends. */
enum http_method {
    HTTP_M_OTHER = 0, /* a valid token we do not know: the server says 501 */
    HTTP_M_GET,
    HTTP_M_HEAD,
    HTTP_M_OPTIONS,
    HTTP_M_POST,
    HTTP_M_PUT,
    HTTP_M_PATCH,
    HTTP_M_DELETE,
    HTTP_M_TRACE,
    HTTP_M_CONNECT,
};

/* RFC 9112 3.2: the four forms of request-target. */
enum http_target_form {
    HTTP_TARGET_ORIGIN = 0, /* "/path?query" */
    HTTP_TARGET_ABSOLUTE,   /* "http://host/path" */
    HTTP_TARGET_AUTHORITY,  /* "host:port", CONNECT only */
    HTTP_TARGET_ASTERISK,   /* "*", OPTIONS only */
};

/* How the message body is delimited (RFC 9112 6.3). */
enum http_body {
    HTTP_BODY_NONE = 0, /* no body */
    HTTP_BODY_LENGTH,   /* exactly content_length bytes */
    HTTP_BODY_CHUNKED,  /* chunked coding: feed it to http_chunked_decode */
    HTTP_BODY_CLOSE,    /* responses only: everything until the peer closes */
};

/* Default limits; the statuses say what the server answers when exceeded. */
#define HTTP_DEFAULT_MAX_START_LINE    8192  /* request line, without CRLF: 414 */
#define HTTP_DEFAULT_MAX_FIELD_SECTION 32768 /* field lines + final CRLF: 431 */
#define HTTP_DEFAULT_MAX_FIELDS        100   /* field lines: 431 */
#define HTTP_DEFAULT_MAX_CHUNK_LINE    4096  /* chunk-size + chunk-ext */
#define HTTP_DEFAULT_MAX_TRAILER       8192  /* trailer section */
/* RFC 9112 2.2: empty lines tolerated before a request line. */
#define HTTP_MAX_LEADING_EMPTY 8

/* Every limit must be >= 1.  Values above 2^28 are treated as 2^28, so a
 * head length always fits the int the parsers return. */
struct http_limits {
    size_t max_start_line;
    size_t max_field_section;
    size_t max_fields;
    size_t max_chunk_line;
    size_t max_trailer;
    bool reject_bare_lf; /* head lines must end in CRLF (default: LF accepted) */
};

/* Fills *lim with the HTTP_DEFAULT_* values, reject_bare_lf false.  Every
 * function taking a const struct http_limits * accepts NULL for these. */
void http_limits_init(struct http_limits *lim);

/* Private to http_parse: how far earlier calls got looking for the end of
 * the head.  Zeroed by http_req_init / http_resp_init. */
struct http_head_scan {
    size_t pos;     /* next byte to examine */
    size_t line;    /* start of the line being scanned */
    size_t start;   /* start of the start line (after leading empty lines) */
    size_t fields;  /* start of the field section */
    size_t nfields; /* complete field lines seen */
    unsigned empties;
    int phase;
};

struct http_req {
    struct http_slice method;
    enum http_method meth;
    struct http_slice target; /* as received: not decoded or normalised */
    enum http_target_form form;
    unsigned version;            /* 10 or 11; HTTP/1.x with x > 1 counts as 11 (RFC 9110 2.5) */
    const struct http_hdr *hdrs; /* the caller's array, nhdrs entries used */
    size_t nhdrs;
    enum http_body body;
    bool has_content_length;
    uint64_t content_length; /* when has_content_length; at most INT64_MAX */
    bool keep_alive;         /* RFC 9112 9.3: version default, Connection tokens */
    bool expect_continue;    /* Expect: 100-continue on HTTP/1.1 */
    bool expect_other;       /* another Expect value: the server may say 417 */
    bool has_host;
    struct http_slice host; /* Host value; required (exactly once) in 1.1 */
    int status;             /* on error: the status to answer, else 0 */
    struct http_head_scan scan;
};

struct http_resp {
    unsigned version; /* 10 or 11 */
    int status;       /* 100..599 */
    struct http_slice reason;
    const struct http_hdr *hdrs;
    size_t nhdrs;
    enum http_body body;
    bool has_content_length; /* also reported for HEAD / 304 responses */
    uint64_t content_length;
    bool keep_alive; /* false whenever body is HTTP_BODY_CLOSE */
    struct http_head_scan scan;
};

void http_req_init(struct http_req *req);
void http_resp_init(struct http_resp *resp);

/*
 * Parses a request head from buf[0..len), everything received so far for
 * this request.  Returns the head length (> 0, including any leading empty
 * lines and the final empty line; the body or the next request starts
 * there), -EAGAIN when the head is not complete yet, or an error with
 * req->status set to the answer the server should give before closing:
 *   -EBADMSG 400  malformed, ambiguous framing, missing or repeated Host
 *   -E2BIG   414  request line over max_start_line
 *   -E2BIG   431  field section over max_field_section, or more field lines
 *                 than min(max_fields, max_hdrs)
 *   -ENOTSUP 501  a transfer coding other than chunked
 *   -ENOTSUP 505  HTTP major version other than 1
 * Limits apply while the head is incomplete too, so a client cannot make
 * the caller buffer more than the limits allow before the error.  Slices
 * and req->hdrs point into buf and hdrs.  An unknown method is not an
 * error (meth = HTTP_M_OTHER).  After an error, do not call again for this
 * connection: the framing is lost.
 */
int http_req_parse(const char *buf, size_t len, struct http_req *req, struct http_hdr *hdrs,
                   size_t max_hdrs, const struct http_limits *lim);

/*
 * Parses a response head, as http_req_parse does (same return convention,
 * no status answer).  head_request says the request was HEAD: no body
 * follows whatever the fields say; nor for 1xx, 204 and 304 (RFC 9112 6.3).
 * A 1xx head is followed by another response head: parse again after it.
 * Errors: -EBADMSG malformed (incl. Content-Length with Transfer-Encoding
 * when a body follows, or Transfer-Encoding in 1.0), -E2BIG limits,
 * -ENOTSUP major version not 1 or a transfer coding other than chunked.
 * A 2xx answer to CONNECT is the caller's business (the tunnel starts).
 */
int http_resp_parse(const char *buf, size_t len, struct http_resp *resp, struct http_hdr *hdrs,
                    size_t max_hdrs, const struct http_limits *lim, bool head_request);

/* Incremental chunked-body decoder (RFC 9112 7.1); embed and init. */
struct http_chunked {
    uint64_t remaining; /* data bytes left in the current chunk */
    size_t line;        /* bytes of the current chunk-size line */
    size_t trailer;     /* bytes of the trailer section */
    size_t max_line;
    size_t max_trailer;
    int state;
    int err;
};

void http_chunked_init(struct http_chunked *c, const struct http_limits *lim);

/*
 * Feeds in[0..len), the body bytes following what earlier calls consumed.
 * *used is set to how many input bytes were consumed; the caller passes
 * the rest (plus whatever arrives) next time.  Returns:
 *   1        *data is a slice of in with chunk data (len > 0); call again
 *            with in + *used for more
 *   0        the body is complete (last chunk and trailers consumed; the
 *            bytes from in + *used on belong to the next message); later
 *            calls return 0 with *used = 0
 *   -EAGAIN  all input consumed, need more (*used == len)
 *   -EBADMSG bad hex, size overflowing 64 bits, missing CRLF, bad
 *            extension or trailer bytes
 *   -E2BIG   chunk-size line over max_chunk_line, trailers over max_trailer
 * Errors are sticky.  Extensions and trailers are checked and discarded.
 * The total body size is not limited here: the caller counts data bytes.
 */
int http_chunked_decode(struct http_chunked *c, const char *in, size_t len, size_t *used,
                        struct http_slice *data);

/* First field named name (NUL-terminated, case-insensitive) after `after`
 * (NULL: from the start), or NULL. */
const struct http_hdr *http_hdr_find(const struct http_hdr *hdrs, size_t n, const char *name,
                                     const struct http_hdr *after);

/* True when the comma-separated list val[0..len) (RFC 9110 5.6.1: OWS
 * around elements, empty elements ignored, commas inside quoted strings do
 * not split) has an element whose token, before any ";parameters", equals
 * token case-insensitively: Connection, TE, Upgrade... */
bool http_list_has_token(const char *val, size_t len, const char *token);

/* Parses a Content-Length value: 1*DIGIT, or a list of identical such
 * values ("5, 5", RFC 9110 8.6).  Returns 0 with *out set, or -EBADMSG for
 * anything else, for differing values, or above INT64_MAX. */
int http_content_length_parse(const char *val, size_t len, uint64_t *out);

#endif
