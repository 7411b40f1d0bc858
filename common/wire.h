/*
 * wire: bounds-checked readers and writers over caller-owned byte buffers.
 *
 * Every protocol codec in labnet reads and writes through these.  Neither
 * side owns or allocates memory: a reader is a view of a buffer that must
 * outlive it, a writer fills a buffer of fixed capacity.  Both carry a sticky
 * error: once a read runs past the end (-EBADMSG) or a write finds no room
 * (-EMSGSIZE), every later call is a no-op returning zero, so a run of fields
 * can be read and checked once -- but always before a value read drives a
 * loop bound, an allocation or an index.  Lengths are compared against what
 * remains (n > len - pos), never added to a position, so a length from the
 * wire cannot overflow.
 */
#ifndef LABNET_WIRE_H
#define LABNET_WIRE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct wire_rd {
    const uint8_t *buf;
    size_t len;
    size_t pos;
    int err; /* 0, or the first error: -EBADMSG for a read past the end */
};

struct wire_wr {
    uint8_t *buf;
    size_t cap;
    size_t pos;
    int err; /* 0, or the first error: -EMSGSIZE when out of room */
};

/* Reader over buf[0..len).  buf may be NULL when len is 0. */
void wire_rd_init(struct wire_rd *r, const void *buf, size_t len);

/* Records err unless an error is already recorded; returns the sticky error. */
static inline int wire_rd_fail(struct wire_rd *r, int err)
{
    if (r->err == 0)
        r->err = err;
    return r->err;
}

static inline bool wire_rd_ok(const struct wire_rd *r)
{
    return r->err == 0;
}

static inline size_t wire_rd_remaining(const struct wire_rd *r)
{
    return r->err ? 0 : r->len - r->pos;
}

/* True when n more bytes can be read; otherwise records -EBADMSG. */
static inline bool wire_rd_need(struct wire_rd *r, size_t n)
{
    if (r->err)
        return false;
    if (n > r->len - r->pos) {
        r->err = -EBADMSG;
        return false;
    }
    return true;
}

static inline uint8_t wire_rd_u8(struct wire_rd *r)
{
    if (!wire_rd_need(r, 1))
        return 0;
    return r->buf[r->pos++];
}

static inline uint16_t wire_rd_u16(struct wire_rd *r)
{
    if (!wire_rd_need(r, 2))
        return 0;
    const uint8_t *p = r->buf + r->pos;
    r->pos += 2;
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t wire_rd_u32(struct wire_rd *r)
{
    if (!wire_rd_need(r, 4))
        return 0;
    const uint8_t *p = r->buf + r->pos;
    r->pos += 4;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Returns a pointer to the next n bytes inside the reader's buffer and
 * advances past them, or NULL (with -EBADMSG) if fewer remain.  The pointer
 * lives as long as the buffer.  n == 0 returns a valid non-NULL pointer only
 * when the buffer is non-NULL. */
static inline const uint8_t *wire_rd_ptr(struct wire_rd *r, size_t n)
{
    if (!wire_rd_need(r, n))
        return NULL;
    const uint8_t *p = r->buf + r->pos;
    r->pos += n;
    return p;
}

/* Copies the next n bytes to dst; on a short buffer dst is zero-filled. */
void wire_rd_bytes(struct wire_rd *r, void *dst, size_t n);

static inline void wire_rd_skip(struct wire_rd *r, size_t n)
{
    if (wire_rd_need(r, n))
        r->pos += n;
}

/* Moves to absolute offset pos (e.g. a DNS compression pointer); pos == len
 * is allowed, past it records -EBADMSG. */
void wire_rd_seek(struct wire_rd *r, size_t pos);

/* Splits off the next n bytes as their own reader (a length-prefixed field)
 * and advances the parent past them.  On a short parent, sub is an empty
 * reader already in the error state. */
void wire_rd_sub(struct wire_rd *r, size_t n, struct wire_rd *sub);

/* Writer over buf[0..cap). */
void wire_wr_init(struct wire_wr *w, void *buf, size_t cap);

static inline bool wire_wr_ok(const struct wire_wr *w)
{
    return w->err == 0;
}

static inline size_t wire_wr_len(const struct wire_wr *w)
{
    return w->pos;
}

static inline size_t wire_wr_room(const struct wire_wr *w)
{
    return w->err ? 0 : w->cap - w->pos;
}

/* Returns a pointer to n writable bytes and advances past them, or NULL
 * (with -EMSGSIZE) if there is no room.  The caller must fill all n. */
static inline uint8_t *wire_wr_reserve(struct wire_wr *w, size_t n)
{
    if (w->err)
        return NULL;
    if (n > w->cap - w->pos) {
        w->err = -EMSGSIZE;
        return NULL;
    }
    uint8_t *p = w->buf + w->pos;
    w->pos += n;
    return p;
}

static inline void wire_wr_u8(struct wire_wr *w, uint8_t v)
{
    uint8_t *p = wire_wr_reserve(w, 1);
    if (p)
        p[0] = v;
}

static inline void wire_wr_u16(struct wire_wr *w, uint16_t v)
{
    uint8_t *p = wire_wr_reserve(w, 2);
    if (p) {
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
    }
}

static inline void wire_wr_u32(struct wire_wr *w, uint32_t v)
{
    uint8_t *p = wire_wr_reserve(w, 4);
    if (p) {
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
    }
}

static inline void wire_wr_bytes(struct wire_wr *w, const void *src, size_t n)
{
    uint8_t *p = wire_wr_reserve(w, n);
    if (p && n)
        memcpy(p, src, n);
}

/* Writes n zero bytes (padding). */
void wire_wr_zero(struct wire_wr *w, size_t n);

/* Overwrites an already written u8/u16 at offset at (a length or count
 * known only later).  Patching outside what was written records -EMSGSIZE;
 * patching never clears an earlier error. */
void wire_wr_patch_u8(struct wire_wr *w, size_t at, uint8_t v);
void wire_wr_patch_u16(struct wire_wr *w, size_t at, uint16_t v);

/* Rolls the writer back to a mark taken earlier with wire_wr_len() and
 * clears a no-room error, so a caller can drop a record that did not fit
 * (DNS truncation at RRset granularity).  mark must not exceed the length. */
void wire_wr_truncate(struct wire_wr *w, size_t mark);

#endif
