/* Splitting plain-HTTP URLs ("http://host[:port][/path][?query]", host may be "[v6]") into the
 * parts a client needs. Depends on libc only. */
#ifndef SVC_COMMON_URL_H
#define SVC_COMMON_URL_H

struct url_http {
    char host[256];    /* without brackets */
    int port;          /* 80 when absent */
    char target[2048]; /* path and query, starting with "/" */
};

/* 0, or SVC_EPARSE when `url` is not an http:// URL with a host and a port in 1..65535 (or its
 * parts do not fit). */
int url_parse_http(const char *url, struct url_http *out);

#endif
