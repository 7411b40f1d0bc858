#include "common/wire.h"

void wire_rd_init(struct wire_rd *r, const void *buf, size_t len)
{
    r->buf = buf;
    r->len = buf ? len : 0;
    r->pos = 0;
    r->err = 0;
}

void wire_rd_bytes(struct wire_rd *r, void *dst, size_t n)
{
    const uint8_t *p = wire_rd_ptr(r, n);
    if (p) {
        if (n)
            memcpy(dst, p, n);
    } else if (n) {
        memset(dst, 0, n);
    }
}

void wire_rd_seek(struct wire_rd *r, size_t pos)
{
    if (r->err)
        return;
    if (pos > r->len)
        r->err = -EBADMSG;
    else
        r->pos = pos;
}

void wire_rd_sub(struct wire_rd *r, size_t n, struct wire_rd *sub)
{
    const uint8_t *p = wire_rd_ptr(r, n);
    if (p) {
        wire_rd_init(sub, p, n);
    } else {
        wire_rd_init(sub, NULL, 0);
        sub->err = r->err;
    }
}

void wire_wr_init(struct wire_wr *w, void *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf ? cap : 0;
    w->pos = 0;
    w->err = 0;
}

void wire_wr_zero(struct wire_wr *w, size_t n)
{
    uint8_t *p = wire_wr_reserve(w, n);
    if (p && n)
        memset(p, 0, n);
}

void wire_wr_patch_u8(struct wire_wr *w, size_t at, uint8_t v)
{
    if (at >= w->pos) {
        if (w->err == 0)
            w->err = -EMSGSIZE;
        return;
    }
    w->buf[at] = v;
}

void wire_wr_patch_u16(struct wire_wr *w, size_t at, uint16_t v)
{
    if (at >= w->pos || w->pos - at < 2) {
        if (w->err == 0)
            w->err = -EMSGSIZE;
        return;
    }
    w->buf[at] = (uint8_t)(v >> 8);
    w->buf[at + 1] = (uint8_t)v;
}

void wire_wr_truncate(struct wire_wr *w, size_t mark)
{
    if (mark <= w->pos) {
        w->pos = mark;
        if (w->err == -EMSGSIZE)
            w->err = 0;
    }
}
