/* Plain-HTTP URL splitting. Depends on libc and common/err. */
#include "url.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

int url_parse_http(const char *url, struct url_http *out)
{
    const char *p = strncmp(url, "http://", 7) == 0 ? url + 7 : NULL;
    const char *rest;
    size_t hl;

    if (p == NULL)
        return SVC_EPARSE;
    if (*p == '[') {
        const char *close = strchr(p, ']');
        if (close == NULL)
            return SVC_EPARSE;
        hl = (size_t)(close - p - 1);
        memcpy(out->host, p + 1, hl < sizeof(out->host) ? hl : 0);
        rest = close + 1;
    } else {
        hl = strcspn(p, ":/?#");
        if (hl < sizeof(out->host))
            memcpy(out->host, p, hl);
        rest = p + hl;
    }
    if (hl == 0 || hl >= sizeof(out->host))
        return SVC_EPARSE;
    out->host[hl] = '\0';
    out->port = 80;
    if (*rest == ':') {
        char *end;
        long v = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || v <= 0 || v > 65535)
            return SVC_EPARSE;
        out->port = (int)v;
        rest = end;
    }
    if (*rest != '\0' && *rest != '/' && *rest != '?')
        return SVC_EPARSE;
    size_t tl = strlen(rest) + (*rest != '/');
    if (strchr(rest, '#') != NULL || tl >= sizeof(out->target))
        return SVC_EPARSE;
    out->target[0] = '/';
    memcpy(out->target + (*rest != '/'), rest, strlen(rest) + 1);
    return 0;
}
