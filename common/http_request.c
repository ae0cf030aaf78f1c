/* Request accessors: header lookup, query parameters, percent-decoding. Depends on
 * common/buf only. */
#include "http_request.h"

#include <string.h>

struct slice http_request_header(const struct http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++) {
        if (slice_eq_nocase(req->headers[i].name, name))
            return req->headers[i].value;
    }
    return (struct slice){NULL, 0};
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

long http_percent_decode(struct slice in, char *out, size_t size, bool plus_is_space)
{
    size_t n = 0;

    if (size == 0)
        return -1;
    for (size_t i = 0; i < in.len; i++) {
        char ch = in.ptr[i];
        if (ch == '%') {
            if (i + 2 >= in.len)
                return -1;
            int hi = hexval(in.ptr[i + 1]), lo = hexval(in.ptr[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            ch = (char)(hi * 16 + lo);
            i += 2;
        } else if (ch == '+' && plus_is_space) {
            ch = ' ';
        }
        if (n + 1 >= size)
            return -1;
        out[n++] = ch;
    }
    out[n] = '\0';
    return (long)n;
}

bool http_request_query(const struct http_request *req, const char *key, char *out, size_t size)
{
    struct slice q = req->query;
    size_t klen = strlen(key);

    while (q.len > 0) {
        const char *amp = memchr(q.ptr, '&', q.len);
        struct slice part = {q.ptr, amp != NULL ? (size_t)(amp - q.ptr) : q.len};
        const char *eq = memchr(part.ptr, '=', part.len);
        struct slice name = {part.ptr, eq != NULL ? (size_t)(eq - part.ptr) : part.len};
        struct slice value = {eq != NULL ? eq + 1 : part.ptr + part.len,
                              eq != NULL ? part.len - name.len - 1 : 0};
        char decoded[256];
        long dn = http_percent_decode(name, decoded, sizeof(decoded), true);
        if (dn == (long)klen && memcmp(decoded, key, klen) == 0)
            return http_percent_decode(value, out, size, true) >= 0;
        if (amp == NULL)
            break;
        q.len -= part.len + 1;
        q.ptr = amp + 1;
    }
    return false;
}
