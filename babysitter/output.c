/* Line splitting of child output. Depends on libc only. */
#include "output.h"

#include <string.h>

void bs_output_init(struct bs_output *o, bs_output_line_cb cb, void *ud)
{
    o->cb = cb;
    o->ud = ud;
    o->len = 0;
}

static void emit(struct bs_output *o)
{
    size_t n = o->len;

    if (n > 0 && o->line[n - 1] == '\r')
        n--;
    o->len = 0;
    o->cb(o->ud, o->line, n);
}

void bs_output_feed(struct bs_output *o, const char *data, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        size_t take = nl != NULL ? (size_t)(nl - data) : n;
        size_t room = sizeof(o->line) - o->len;
        if (take > room)
            take = room;
        memcpy(o->line + o->len, data, take);
        o->len += take;
        data += take;
        n -= take;
        if (n > 0 && *data == '\n') {
            data++;
            n--;
            emit(o);
        } else if (o->len == sizeof(o->line)) {
            emit(o);
        }
    }
}

void bs_output_flush(struct bs_output *o)
{
    if (o->len > 0)
        emit(o);
}
