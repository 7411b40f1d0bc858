/*
 * dns_tsig: RFC 8945 transaction signatures.  See dns_tsig.h.
 */
#include "common/dns_tsig.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/wire.h"

struct alg_desc {
    enum dns_tsig_alg alg;
    const char *text;    /* as on BIND's command lines */
    const uint8_t *wire; /* the algorithm name (RFC 8945 6) */
    const char *digest;  /* OpenSSL's name */
    size_t mac_len;
};

static const struct alg_desc algs[] = {
    {DNS_TSIG_HMAC_SHA1, "hmac-sha1", (const uint8_t *)"\x09hmac-sha1", "SHA1", 20},
    {DNS_TSIG_HMAC_SHA224, "hmac-sha224", (const uint8_t *)"\x0bhmac-sha224", "SHA224", 28},
    {DNS_TSIG_HMAC_SHA256, "hmac-sha256", (const uint8_t *)"\x0bhmac-sha256", "SHA256", 32},
    {DNS_TSIG_HMAC_SHA384, "hmac-sha384", (const uint8_t *)"\x0bhmac-sha384", "SHA384", 48},
    {DNS_TSIG_HMAC_SHA512, "hmac-sha512", (const uint8_t *)"\x0bhmac-sha512", "SHA512", 64},
};

static const struct alg_desc *alg_find(enum dns_tsig_alg alg)
{
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
        if (algs[i].alg == alg)
            return &algs[i];
    return NULL;
}

const uint8_t *dns_tsig_alg_name(enum dns_tsig_alg alg)
{
    const struct alg_desc *a = alg_find(alg);
    return a ? a->wire : NULL;
}

size_t dns_tsig_alg_mac_len(enum dns_tsig_alg alg)
{
    const struct alg_desc *a = alg_find(alg);
    return a ? a->mac_len : 0;
}

static int fail(char *err, size_t errcap, const char *why)
{
    if (err && errcap)
        snprintf(err, errcap, "%s", why);
    return -EINVAL;
}

/* Strict base64 (RFC 4648 4, padding required): OpenSSL's
 * EVP_DecodeBlock accepts stray whitespace and reports padding as data. */
static int b64_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (n == 0 || n % 4)
        return -EINVAL;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t v = 0;
        int pad = 0;
        for (size_t j = 0; j < 4; j++) {
            char c = s[i + j];
            uint32_t d;
            if (c == '=' && i + 4 == n && j >= 2) {
                pad++;
                d = 0;
            } else {
                const char *p = pad ? NULL : (c ? strchr(tbl, c) : NULL);
                if (!p)
                    return -EINVAL;
                d = (uint32_t)(p - tbl);
            }
            v = v << 6 | d;
        }
        if (pad == 1 && s[i + 3] != '=')
            return -EINVAL;
        size_t take = 3 - (size_t)pad;
        if (o + take > cap)
            return -EMSGSIZE;
        for (size_t j = 0; j < take; j++)
            out[o++] = (uint8_t)(v >> (16 - 8 * j));
    }
    *out_len = o;
    return 0;
}

int dns_tsig_key_parse(struct dns_tsig_key *k, const char *spec, char *err, size_t errcap)
{
    memset(k, 0, sizeof(*k));
    const char *c1 = strchr(spec, ':');
    if (!c1)
        return fail(err, errcap, "expected [alg:]name:secret");
    const char *c2 = strchr(c1 + 1, ':');
    const char *name = spec, *secret = c1 + 1;
    size_t name_len = (size_t)(c1 - spec);
    k->alg = DNS_TSIG_HMAC_SHA256;
    if (c2) {
        size_t alen = (size_t)(c1 - spec);
        const struct alg_desc *a = NULL;
        for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
            if (strlen(algs[i].text) == alen && strncasecmp(algs[i].text, spec, alen) == 0)
                a = &algs[i];
        if (!a)
            return fail(err, errcap,
                        "unknown algorithm (hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, "
                        "hmac-sha512)");
        k->alg = a->alg;
        name = c1 + 1;
        name_len = (size_t)(c2 - name);
        secret = c2 + 1;
    }
    size_t wl;
    if (name_len == 0 || dns_name_from_text(name, name_len, k->name, &wl) < 0)
        return fail(err, errcap, "bad key name");
    dns_name_lower(k->name);
    if (b64_decode(secret, strlen(secret), k->secret, sizeof(k->secret), &k->secret_len) < 0 ||
        k->secret_len == 0)
        return fail(err, errcap, "secret is not base64 (of at most 128 octets)");
    return 0;
}

int dns_tsig_find(const struct dns_msg *m, struct dns_tsig_info *t)
{
    if (m->truncated)
        return -EBADMSG;
    size_t n_ar;
    const struct dns_rr *ar = dns_msg_section(m, DNS_SEC_AR, &n_ar);
    /* A TSIG anywhere but last is malformed (RFC 8945 5.1). */
    for (size_t i = 0; i + 1 < n_ar; i++)
        if (ar[i].type == DNS_TYPE_TSIG)
            return -EBADMSG;
    for (int sec = DNS_SEC_AN; sec <= DNS_SEC_NS; sec++) {
        size_t n;
        const struct dns_rr *rr = dns_msg_section(m, sec, &n);
        for (size_t i = 0; i < n; i++)
            if (rr[i].type == DNS_TYPE_TSIG)
                return -EBADMSG;
    }
    if (n_ar == 0 || ar[n_ar - 1].type != DNS_TYPE_TSIG)
        return 0;
    const struct dns_rr *rr = &ar[n_ar - 1];
    if (rr->rclass != DNS_CLASS_ANY || rr->ttl != 0)
        return -EBADMSG;
    memset(t, 0, sizeof(*t));
    t->rr_off = rr->owner_off;
    if (dns_msg_rr_owner(m, rr, t->key_name, NULL) < 0)
        return -EBADMSG;
    dns_name_lower(t->key_name);
    /* The algorithm name must be read against the whole message (a
     * sender may have compressed it, though it shouldn't). */
    struct wire_rd r;
    wire_rd_init(&r, m->buf, rr->rdata_off + rr->rdlength);
    wire_rd_seek(&r, rr->rdata_off);
    if (dns_name_decode(&r, t->alg_name, NULL) < 0)
        return -EBADMSG;
    dns_name_lower(t->alg_name);
    uint64_t hi = wire_rd_u16(&r);
    t->time_signed = hi << 32 | wire_rd_u32(&r);
    t->fudge = wire_rd_u16(&r);
    t->mac_len = wire_rd_u16(&r);
    t->mac = wire_rd_ptr(&r, t->mac_len);
    t->orig_id = wire_rd_u16(&r);
    t->error = wire_rd_u16(&r);
    t->other_len = wire_rd_u16(&r);
    t->other = wire_rd_ptr(&r, t->other_len);
    if (!wire_rd_ok(&r) || wire_rd_remaining(&r) != 0)
        return -EBADMSG;
    return 1;
}

/* The TSIG variables (RFC 8945 4.3.3) in wire form into w. */
static void tsig_vars(struct wire_wr *w, const uint8_t *key_name, const uint8_t *alg_name,
                      uint64_t time_signed, uint16_t fudge, uint16_t error, const uint8_t *other,
                      uint16_t other_len)
{
    wire_wr_bytes(w, key_name, dns_name_len(key_name));
    wire_wr_u16(w, DNS_CLASS_ANY);
    wire_wr_u32(w, 0);
    wire_wr_bytes(w, alg_name, dns_name_len(alg_name));
    wire_wr_u16(w, (uint16_t)(time_signed >> 32));
    wire_wr_u32(w, (uint32_t)time_signed);
    wire_wr_u16(w, fudge);
    wire_wr_u16(w, error);
    wire_wr_u16(w, other_len);
    wire_wr_bytes(w, other, other_len);
}

/*
 * MAC over: the request's MAC (length-prefixed) when answering one, the
 * message up to its TSIG with ARCOUNT one less and the original ID, then
 * the TSIG variables (RFC 8945 4.3.1-4.3.3).
 */
static int tsig_mac(const struct dns_tsig_key *k, const uint8_t *req_mac, size_t req_mac_len,
                    const uint8_t *msg, size_t msg_len, uint16_t orig_id, bool arcount_has_tsig,
                    const uint8_t *vars, size_t vars_len, uint8_t *mac, size_t *mac_len)
{
    const struct alg_desc *a = alg_find(k->alg);
    if (!a || msg_len < DNS_HDR_LEN)
        return -EINVAL;
    uint8_t hdr[DNS_HDR_LEN];
    memcpy(hdr, msg, DNS_HDR_LEN);
    hdr[0] = (uint8_t)(orig_id >> 8);
    hdr[1] = (uint8_t)orig_id;
    if (arcount_has_tsig) {
        uint16_t arc = (uint16_t)(hdr[10] << 8 | hdr[11]);
        arc--;
        hdr[10] = (uint8_t)(arc >> 8);
        hdr[11] = (uint8_t)arc;
    }
    int rc = -EIO;
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
    if (!ctx)
        goto out;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)a->digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (!EVP_MAC_init(ctx, k->secret, k->secret_len, params))
        goto out;
    if (req_mac) {
        uint8_t l[2] = {(uint8_t)(req_mac_len >> 8), (uint8_t)req_mac_len};
        if (!EVP_MAC_update(ctx, l, 2) || !EVP_MAC_update(ctx, req_mac, req_mac_len))
            goto out;
    }
    size_t out_len = 0;
    if (!EVP_MAC_update(ctx, hdr, DNS_HDR_LEN) ||
        !EVP_MAC_update(ctx, msg + DNS_HDR_LEN, msg_len - DNS_HDR_LEN) ||
        !EVP_MAC_update(ctx, vars, vars_len) ||
        !EVP_MAC_final(ctx, mac, &out_len, DNS_TSIG_MAC_MAX))
        goto out;
    *mac_len = out_len;
    rc = 0;
out:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(hmac);
    return rc;
}

/* Room for the TSIG variables: two names and the fixed fields. */
#define VARS_MAX (2 * DNS_NAME_MAXLEN + 20 + 65535)

int dns_tsig_verify(const struct dns_msg *m, const struct dns_tsig_info *t,
                    const struct dns_tsig_key *keys, size_t nkeys, uint64_t now,
                    const uint8_t *req_mac, size_t req_mac_len, size_t *key)
{
    const struct dns_tsig_key *k = NULL;
    for (size_t i = 0; i < nkeys && !k; i++) {
        if (dns_name_eq(keys[i].name, t->key_name) &&
            dns_name_eq(dns_tsig_alg_name(keys[i].alg), t->alg_name)) {
            k = &keys[i];
            if (key)
                *key = i;
        }
    }
    if (!k)
        return DNS_TSIG_BADKEY;
    size_t full = dns_tsig_alg_mac_len(k->alg);
    /* Truncated MACs: at least half the hash and 10 octets (RFC 8945
     * 5.2.2.1); we accept only full ones, as BIND does by default. */
    if (t->mac_len != full)
        return DNS_TSIG_BADSIG;
    static _Thread_local uint8_t vars[VARS_MAX];
    struct wire_wr w;
    wire_wr_init(&w, vars, sizeof(vars));
    tsig_vars(&w, t->key_name, t->alg_name, t->time_signed, t->fudge, t->error, t->other,
              t->other_len);
    if (!wire_wr_ok(&w))
        return DNS_TSIG_BADSIG;
    uint8_t mac[DNS_TSIG_MAC_MAX];
    size_t mac_len;
    if (tsig_mac(k, req_mac, req_mac_len, m->buf, t->rr_off, t->orig_id, true, vars,
                 wire_wr_len(&w), mac, &mac_len) < 0 ||
        mac_len != t->mac_len || CRYPTO_memcmp(mac, t->mac, mac_len) != 0)
        return DNS_TSIG_BADSIG;
    uint64_t lo = t->time_signed > t->fudge ? t->time_signed - t->fudge : 0;
    if (now < lo || now > t->time_signed + t->fudge)
        return DNS_TSIG_BADTIME;
    return 0;
}

int dns_tsig_sign(uint8_t *msg, size_t *len, size_t cap, const struct dns_tsig_key *k, uint64_t now,
                  uint16_t fudge, uint16_t error, const uint8_t *req_mac, size_t req_mac_len,
                  uint8_t *mac_out, size_t *mac_len)
{
    if (*len < DNS_HDR_LEN)
        return -EBADMSG;
    const uint8_t *alg = dns_tsig_alg_name(k->alg);
    if (!alg)
        return -EINVAL;
    uint16_t id = (uint16_t)(msg[0] << 8 | msg[1]);
    uint8_t other[6];
    uint16_t other_len = 0;
    if (error == DNS_TSIG_BADTIME) {
        /* The server's own time, so the client can see the skew. */
        for (int i = 0; i < 6; i++)
            other[i] = (uint8_t)(now >> (40 - 8 * i));
        other_len = 6;
    }
    uint8_t mac[DNS_TSIG_MAC_MAX];
    size_t mlen = 0;
    bool unsigned_err = error == DNS_TSIG_BADSIG || error == DNS_TSIG_BADKEY;
    if (!unsigned_err) {
        uint8_t vars[2 * DNS_NAME_MAXLEN + 32];
        struct wire_wr v;
        wire_wr_init(&v, vars, sizeof(vars));
        tsig_vars(&v, k->name, alg, now, fudge, error, other, other_len);
        if (tsig_mac(k, req_mac, req_mac_len, msg, *len, id, false, vars, wire_wr_len(&v), mac,
                     &mlen) < 0)
            return -EIO;
    }
    struct wire_wr w;
    wire_wr_init(&w, msg + *len, cap - *len);
    wire_wr_bytes(&w, k->name, dns_name_len(k->name));
    wire_wr_u16(&w, DNS_TYPE_TSIG);
    wire_wr_u16(&w, DNS_CLASS_ANY);
    wire_wr_u32(&w, 0);
    size_t rdlen_at = wire_wr_len(&w);
    wire_wr_u16(&w, 0);
    /* Names in TSIG RDATA are never compressed (RFC 8945 4.2). */
    wire_wr_bytes(&w, alg, dns_name_len(alg));
    wire_wr_u16(&w, (uint16_t)(now >> 32));
    wire_wr_u32(&w, (uint32_t)now);
    wire_wr_u16(&w, fudge);
    wire_wr_u16(&w, (uint16_t)mlen);
    wire_wr_bytes(&w, mac, mlen);
    wire_wr_u16(&w, id);
    wire_wr_u16(&w, error);
    wire_wr_u16(&w, other_len);
    wire_wr_bytes(&w, other, other_len);
    if (!wire_wr_ok(&w))
        return -EMSGSIZE;
    uint16_t arc = (uint16_t)(msg[10] << 8 | msg[11]);
    if (arc == 0xffff)
        return -EMSGSIZE;
    wire_wr_patch_u16(&w, rdlen_at, (uint16_t)(wire_wr_len(&w) - rdlen_at - 2));
    arc++;
    msg[10] = (uint8_t)(arc >> 8);
    msg[11] = (uint8_t)arc;
    *len += wire_wr_len(&w);
    if (mac_out)
        memcpy(mac_out, mac, mlen);
    if (mac_len)
        *mac_len = mlen;
    return 0;
}
