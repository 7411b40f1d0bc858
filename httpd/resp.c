#include "httpd/resp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void resp_init(struct httpd_resp *r)
{
    r->status = 0;
    r->close = false;
    r->head_len = 0;
    r->n_segs = 0;
    r->file_fd = -1;
    r->mem = NULL;
    r->body_len = 0;
    r->visitor[0] = '\0';
    r->extra_hdrs[0] = '\0';
    snprintf(r->log_request, sizeof(r->log_request), "\"-\"");
    snprintf(r->log_tail, sizeof(r->log_tail), "\"-\" \"-\"");
}

void resp_reset(struct httpd_resp *r)
{
    if (r->file_fd >= 0)
        close(r->file_fd);
    free(r->mem);
    resp_init(r);
}
