/* Fuzz target: the INI configuration loader and every typed getter. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct cfg *c = cfg_new();
    if (!c) {
        free(text);
        return 0;
    }
    cfg_load_string(c, "fuzz.conf", text);
    int64_t i = 0;
    bool b = false;
    uint64_t u = 0;
    const char *s = NULL;
    struct net_addr a, al[4];
    struct net_cidr n, nl[4];
    size_t cnt = 0;
    cfg_get_int(c, "a", "int", INT64_MIN, INT64_MAX, &i);
    cfg_get_bool(c, "a", "bool", &b);
    cfg_get_duration(c, "a", "dur", 0, UINT64_MAX, &u);
    cfg_get_size(c, "a", "size", 0, UINT64_MAX, &u);
    cfg_get_addr(c, "a", "addr", 53, &a);
    cfg_get_cidr(c, "a", "cidr", &n);
    cfg_get_path(c, "a", "path", &s);
    cfg_get_str(c, "a", "str", &s);
    cfg_get_addr_list(c, "a", "addrs", 53, al, 4, &cnt);
    cfg_get_cidr_list(c, "a", "cidrs", nl, 4, &cnt);
    size_t it = 0;
    while (cfg_section_next(c, &it, &s))
        cfg_section_known(c, s);
    cfg_finish(c);
    for (size_t k = 0; k < cfg_error_count(c); k++)
        (void)cfg_error(c, k);
    cfg_free(c);
    free(text);
    return 0;
}
