/* Bearer tokens (RFC 6750) in one place: reading "Authorization: Bearer <token>", comparing a
 * presented token with configured ones in constant time, and building the header the daemons
 * send to each other. The registry (write token), the router (client API keys, its registry
 * token) and the babysitter (its registry token) all use these, so a token accepted by one is
 * accepted by all. Depends on common/buf only. */
#ifndef SVC_COMMON_BEARER_H
#define SVC_COMMON_BEARER_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Longest token accepted, in bytes; longer presented tokens never match. */
#define BEARER_MAX_TOKEN 4096

/* The token of an Authorization header value (borrowed slice into `value`): the scheme
 * "Bearer" (any case), one or more spaces, then the token with surrounding spaces and tabs
 * trimmed. false when `value` is absent, another scheme, or the token is empty or too long. */
bool bearer_parse(struct slice value, struct slice *token);

/* Whether `token` equals one entry of `list`, a comma-separated list of tokens (spaces around
 * each entry are ignored; empty entries never match). The time taken depends on the lengths
 * only, never on where the bytes differ. NULL or empty `list` matches nothing. */
bool bearer_matches(struct slice token, const char *list);

/* Whether the Authorization header value `value` carries a token in `list`: bearer_parse()
 * then bearer_matches(). */
bool bearer_authorized(struct slice value, const char *list);

/* "Authorization: Bearer <token>" as a NUL-terminated header line the caller frees with
 * free(), or NULL when `token` is NULL or empty. */
char *bearer_header_new(const char *token);

#endif
