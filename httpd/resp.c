#include "httpd/resp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpd/filecache.h"

void resp_init(struct httpd_resp *r)
{
    r->status = 0;
    r->close = false;
    r->head_len = 0;
    r->n_segs = 0;
    r->file_fd = -1;
    r->file_ref = NULL;
    r->file_data = NULL;
    r->mem = NULL;
    r->body_len = 0;
    r->visitor[0] = '\0';
    r->extra_hdrs[0] = '\0';
    /* Constant copies, not snprintf: this runs for every request. */
    memcpy(r->log_request, "\"-\"", sizeof("\"-\""));
    memcpy(r->log_tail, "\"-\" \"-\"", sizeof("\"-\" \"-\""));
}

void resp_take_file(struct httpd_resp *r, int fd, struct fc_entry *ref)
{
    resp_drop_file(r);
    r->file_fd = fd;
    r->file_ref = ref;
    r->file_data = filecache_data(ref);
}

void resp_drop_file(struct httpd_resp *r)
{
    struct fc_file f = {.fd = r->file_fd, .entry = r->file_ref};
    filecache_release(&f);
    r->file_fd = -1;
    r->file_ref = NULL;
    r->file_data = NULL;
}

void resp_reset(struct httpd_resp *r)
{
    resp_drop_file(r);
    free(r->mem);
    resp_init(r);
}
