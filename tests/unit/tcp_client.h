/* Test support: a blocking TCP client with timeouts that sends raw bytes and reads HTTP
 * responses with llhttp (Content-Length, chunked or close-delimited bodies). */
#ifndef SVC_TESTS_TCP_CLIENT_H
#define SVC_TESTS_TCP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct tcp_response {
    int status;
    struct buf head; /* "name: value\n" lines, names lower-cased */
    struct buf body;
    bool keep_alive;
};

/* Connects to 127.0.0.1:port with 5 s send/receive timeouts; returns the fd or -1. */
int tcp_connect(int port);
/* Sends all bytes; 0 or -1. */
int tcp_send(int fd, const char *data, size_t len);
int tcp_send_str(int fd, const char *s);
/* Reads one response (1xx responses are returned too). 0, or -1 on timeout/EOF/parse error. */
int tcp_read_response(int fd, struct tcp_response *r);
void tcp_response_free(struct tcp_response *r);
/* Returns the value of header `name` (lower-case) in a malloc'ed string, or NULL. */
char *tcp_response_header(const struct tcp_response *r, const char *name);
/* True when the peer closed the connection (reads EOF or reset) within `ms`. */
bool tcp_wait_closed(int fd, int ms);

#endif
