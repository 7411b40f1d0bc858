#include <errno.h>
#include <stdint.h>

#include "common/wire.h"
#include "testutil.h"

START_TEST(test_wire_rd_reads_big_endian)
{
    static const uint8_t msg[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xff};
    uint8_t *buf = test_exact_copy(msg, sizeof(msg));
    struct wire_rd r;
    wire_rd_init(&r, buf, sizeof(msg));
    ck_assert_uint_eq(wire_rd_u8(&r), 0x01);
    ck_assert_uint_eq(wire_rd_u16(&r), 0x0203);
    ck_assert_uint_eq(wire_rd_u32(&r), 0x040506u << 8 | 0x07);
    ck_assert_uint_eq(wire_rd_remaining(&r), 1);
    ck_assert_uint_eq(wire_rd_u8(&r), 0xff);
    ck_assert(wire_rd_ok(&r));
    ck_assert_uint_eq(wire_rd_remaining(&r), 0);
    free(buf);
}
END_TEST

START_TEST(test_wire_rd_u32_high_bit)
{
    static const uint8_t msg[] = {0xff, 0xff, 0xff, 0xfe};
    struct wire_rd r;
    wire_rd_init(&r, msg, sizeof(msg));
    ck_assert_uint_eq(wire_rd_u32(&r), 0xfffffffeu);
}
END_TEST

/* Every truncation of a u16/u32 read fails without touching bytes past the
 * end (exact-size allocation under ASan) and sets a sticky error. */
START_TEST(test_wire_rd_truncated_fields_fail_sticky)
{
    static const uint8_t msg[] = {0xaa, 0xbb, 0xcc};
    for (size_t len = 0; len <= sizeof(msg); len++) {
        uint8_t *buf = test_exact_copy(msg, len);
        struct wire_rd r;
        wire_rd_init(&r, buf, len);
        uint32_t v = wire_rd_u32(&r);
        ck_assert_uint_eq(v, 0);
        ck_assert_int_eq(r.err, -EBADMSG);
        ck_assert_uint_eq(r.pos, 0);
        /* Sticky: a read that would fit still fails after the error. */
        ck_assert_uint_eq(wire_rd_u8(&r), 0);
        ck_assert_uint_eq(wire_rd_remaining(&r), 0);
        ck_assert_ptr_null(wire_rd_ptr(&r, 0));
        free(buf);
    }
    struct wire_rd r;
    wire_rd_init(&r, msg, 1);
    ck_assert_uint_eq(wire_rd_u16(&r), 0);
    ck_assert_int_eq(r.err, -EBADMSG);
}
END_TEST

START_TEST(test_wire_rd_zero_length_buffer)
{
    struct wire_rd r;
    wire_rd_init(&r, NULL, 100); /* a NULL buffer is empty whatever len says */
    ck_assert_uint_eq(wire_rd_remaining(&r), 0);
    wire_rd_skip(&r, 0);
    ck_assert(wire_rd_ok(&r));
    ck_assert_uint_eq(wire_rd_u8(&r), 0);
    ck_assert_int_eq(r.err, -EBADMSG);
}
END_TEST

/* A length taken from the wire may be anything up to SIZE_MAX: it must be
 * compared with what remains, never added to the position. */
START_TEST(test_wire_rd_overflowing_lengths_rejected)
{
    static const uint8_t msg[] = {1, 2, 3, 4};
    const size_t bad[] = {5, SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 2, (size_t)1 << 63};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct wire_rd r;
        wire_rd_init(&r, msg, sizeof(msg));
        wire_rd_u16(&r);
        ck_assert_ptr_null(wire_rd_ptr(&r, bad[i]));
        ck_assert_int_eq(r.err, -EBADMSG);

        wire_rd_init(&r, msg, sizeof(msg));
        wire_rd_u8(&r);
        wire_rd_skip(&r, bad[i]);
        ck_assert_int_eq(r.err, -EBADMSG);
        ck_assert_uint_eq(r.pos, 1);

        struct wire_rd sub;
        wire_rd_init(&r, msg, sizeof(msg));
        wire_rd_u8(&r);
        wire_rd_sub(&r, bad[i], &sub);
        ck_assert_int_eq(sub.err, -EBADMSG);
        ck_assert_uint_eq(wire_rd_remaining(&sub), 0);
        ck_assert_uint_eq(wire_rd_u8(&sub), 0);

        wire_rd_init(&r, msg, sizeof(msg));
        wire_rd_seek(&r, bad[i]);
        ck_assert_int_eq(r.err, -EBADMSG);
    }
}
END_TEST

START_TEST(test_wire_rd_maximal_lengths_accepted)
{
    /* A 16-bit length prefix at its maximum, and a field that ends exactly
     * at the end of the buffer. */
    size_t n = 2 + 65535;
    uint8_t *buf = calloc(1, n);
    ck_assert_ptr_nonnull(buf);
    buf[0] = 0xff;
    buf[1] = 0xff;
    buf[n - 1] = 0x5a;
    struct wire_rd r, sub;
    wire_rd_init(&r, buf, n);
    uint16_t len = wire_rd_u16(&r);
    ck_assert_uint_eq(len, 65535);
    wire_rd_sub(&r, len, &sub);
    ck_assert(wire_rd_ok(&r));
    ck_assert_uint_eq(wire_rd_remaining(&r), 0);
    ck_assert_uint_eq(wire_rd_remaining(&sub), 65535);
    wire_rd_skip(&sub, 65534);
    ck_assert_uint_eq(wire_rd_u8(&sub), 0x5a);
    ck_assert(wire_rd_ok(&sub));
    /* Seeking to the very end is allowed; one past it is not. */
    wire_rd_seek(&r, n);
    ck_assert(wire_rd_ok(&r));
    wire_rd_seek(&r, n + 1);
    ck_assert_int_eq(r.err, -EBADMSG);
    free(buf);
}
END_TEST

START_TEST(test_wire_rd_sub_is_confined)
{
    static const uint8_t msg[] = {2, 0xaa, 0xbb, 0xcc};
    struct wire_rd r, sub;
    wire_rd_init(&r, msg, sizeof(msg));
    wire_rd_sub(&r, wire_rd_u8(&r), &sub);
    ck_assert_uint_eq(wire_rd_u16(&sub), 0xaabb);
    /* The sub-reader cannot see the parent's next byte. */
    ck_assert_uint_eq(wire_rd_u8(&sub), 0);
    ck_assert_int_eq(sub.err, -EBADMSG);
    ck_assert(wire_rd_ok(&r));
    ck_assert_uint_eq(wire_rd_u8(&r), 0xcc);
}
END_TEST

START_TEST(test_wire_rd_bytes_zero_fills_on_error)
{
    static const uint8_t msg[] = {1, 2};
    uint8_t out[4] = {9, 9, 9, 9};
    struct wire_rd r;
    wire_rd_init(&r, msg, sizeof(msg));
    wire_rd_bytes(&r, out, sizeof(out));
    ck_assert_int_eq(r.err, -EBADMSG);
    for (size_t i = 0; i < sizeof(out); i++)
        ck_assert_uint_eq(out[i], 0);
    wire_rd_init(&r, msg, sizeof(msg));
    wire_rd_bytes(&r, out, 2);
    ck_assert_uint_eq(out[0], 1);
    ck_assert_uint_eq(out[1], 2);
}
END_TEST

START_TEST(test_wire_rd_fail_keeps_first_error)
{
    struct wire_rd r;
    wire_rd_init(&r, "x", 1);
    ck_assert_int_eq(wire_rd_fail(&r, -ENOTSUP), -ENOTSUP);
    ck_assert_int_eq(wire_rd_fail(&r, -EBADMSG), -ENOTSUP);
    ck_assert_uint_eq(wire_rd_u8(&r), 0);
}
END_TEST

START_TEST(test_wire_wr_writes_big_endian)
{
    uint8_t buf[11];
    struct wire_wr w;
    wire_wr_init(&w, buf, sizeof(buf));
    wire_wr_u8(&w, 0x01);
    wire_wr_u16(&w, 0x0203);
    wire_wr_u32(&w, 0x04050607);
    wire_wr_bytes(&w, "\x08\x09", 2);
    wire_wr_zero(&w, 2);
    ck_assert(wire_wr_ok(&w));
    ck_assert_uint_eq(wire_wr_len(&w), 11);
    static const uint8_t want[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0};
    ck_assert_mem_eq(buf, want, sizeof(want));
    ck_assert_uint_eq(wire_wr_room(&w), 0);
}
END_TEST

START_TEST(test_wire_wr_no_room_is_sticky_and_writes_nothing)
{
    uint8_t *buf = calloc(1, 3);
    ck_assert_ptr_nonnull(buf);
    struct wire_wr w;
    wire_wr_init(&w, buf, 3);
    wire_wr_u16(&w, 0xabcd);
    wire_wr_u16(&w, 0x1234); /* one byte of room: nothing may be written */
    ck_assert_int_eq(w.err, -EMSGSIZE);
    ck_assert_uint_eq(wire_wr_len(&w), 2);
    ck_assert_uint_eq(buf[2], 0);
    wire_wr_u8(&w, 0x77); /* would fit, but the error is sticky */
    ck_assert_uint_eq(buf[2], 0);
    ck_assert_ptr_null(wire_wr_reserve(&w, 0));
    free(buf);

    /* volatile: the compiler must not see the impossible memcpy bound. */
    volatile size_t huge = SIZE_MAX;
    wire_wr_init(&w, NULL, 0);
    wire_wr_bytes(&w, "a", huge);
    ck_assert_int_eq(w.err, -EMSGSIZE);
}
END_TEST

START_TEST(test_wire_wr_patch_and_truncate)
{
    uint8_t buf[8];
    struct wire_wr w;
    wire_wr_init(&w, buf, sizeof(buf));
    size_t len_at = wire_wr_len(&w);
    wire_wr_u16(&w, 0);
    wire_wr_bytes(&w, "abc", 3);
    wire_wr_patch_u16(&w, len_at, (uint16_t)(wire_wr_len(&w) - len_at - 2));
    ck_assert_uint_eq(buf[0], 0);
    ck_assert_uint_eq(buf[1], 3);
    wire_wr_patch_u8(&w, 4, 'C');
    ck_assert_uint_eq(buf[4], 'C');

    /* A record that does not fit is rolled back and writing goes on. */
    size_t mark = wire_wr_len(&w);
    wire_wr_bytes(&w, "too long", 8);
    ck_assert_int_eq(w.err, -EMSGSIZE);
    wire_wr_truncate(&w, mark);
    ck_assert(wire_wr_ok(&w));
    ck_assert_uint_eq(wire_wr_len(&w), 5);
    wire_wr_u8(&w, 'z');
    ck_assert(wire_wr_ok(&w));
    ck_assert_uint_eq(buf[5], 'z');
}
END_TEST

START_TEST(test_wire_wr_patch_outside_written_fails)
{
    uint8_t buf[8] = {0};
    struct wire_wr w;
    wire_wr_init(&w, buf, sizeof(buf));
    wire_wr_u8(&w, 1);
    wire_wr_patch_u16(&w, 0, 0xffff); /* only one byte written */
    ck_assert_int_eq(w.err, -EMSGSIZE);
    ck_assert_uint_eq(buf[1], 0);
    wire_wr_init(&w, buf, sizeof(buf));
    wire_wr_patch_u8(&w, SIZE_MAX, 1);
    ck_assert_int_eq(w.err, -EMSGSIZE);
    wire_wr_init(&w, buf, sizeof(buf));
    wire_wr_u16(&w, 0);
    wire_wr_patch_u16(&w, SIZE_MAX, 1);
    ck_assert_int_eq(w.err, -EMSGSIZE);
}
END_TEST

/* What a writer produces, a reader reads back. */
START_TEST(test_wire_round_trip)
{
    uint8_t buf[64];
    struct wire_wr w;
    wire_wr_init(&w, buf, sizeof(buf));
    for (uint32_t i = 0; i < 8; i++) {
        wire_wr_u8(&w, (uint8_t)(i * 31));
        wire_wr_u16(&w, (uint16_t)(i * 7919));
        wire_wr_u32(&w, i * 2654435761u);
    }
    ck_assert(wire_wr_ok(&w));
    struct wire_rd r;
    wire_rd_init(&r, buf, wire_wr_len(&w));
    for (uint32_t i = 0; i < 8; i++) {
        ck_assert_uint_eq(wire_rd_u8(&r), (uint8_t)(i * 31));
        ck_assert_uint_eq(wire_rd_u16(&r), (uint16_t)(i * 7919));
        ck_assert_uint_eq(wire_rd_u32(&r), i * 2654435761u);
    }
    ck_assert(wire_rd_ok(&r));
    ck_assert_uint_eq(wire_rd_remaining(&r), 0);
}
END_TEST

static Suite *wire_suite(void)
{
    Suite *s = suite_create("wire");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_wire_rd_reads_big_endian);
    tcase_add_test(tc, test_wire_rd_u32_high_bit);
    tcase_add_test(tc, test_wire_rd_truncated_fields_fail_sticky);
    tcase_add_test(tc, test_wire_rd_zero_length_buffer);
    tcase_add_test(tc, test_wire_rd_overflowing_lengths_rejected);
    tcase_add_test(tc, test_wire_rd_maximal_lengths_accepted);
    tcase_add_test(tc, test_wire_rd_sub_is_confined);
    tcase_add_test(tc, test_wire_rd_bytes_zero_fills_on_error);
    tcase_add_test(tc, test_wire_rd_fail_keeps_first_error);
    tcase_add_test(tc, test_wire_wr_writes_big_endian);
    tcase_add_test(tc, test_wire_wr_no_room_is_sticky_and_writes_nothing);
    tcase_add_test(tc, test_wire_wr_patch_and_truncate);
    tcase_add_test(tc, test_wire_wr_patch_outside_written_fails);
    tcase_add_test(tc, test_wire_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(wire_suite)
