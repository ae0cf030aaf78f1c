/* HTTP status vocabulary shared by the server, the reply helpers and handlers that build
 * responses without a connection: reason phrases, the mapping from internal error codes to
 * statuses, and the OpenAI-shaped error body {"error":{"code","message","type"}}. A leaf
 * module: it knows no connection. Depends on common/buf, common/json. */
#ifndef SVC_COMMON_HTTP_STATUS_H
#define SVC_COMMON_HTTP_STATUS_H

#include "buf.h"

/* Reason phrase for a status ("OK", "Not Found", ...; "Unknown" otherwise). Static storage. */
const char *http_status_reason(int status);
/* Maps an internal error code (SVC_E* or libuv) to an HTTP status. */
int http_status_for_error(int rc);
/* Appends {"error":{"code":...,"message":...,"type":...}} (keys sorted, compact) to `out`.
 * `type` and `code` may be NULL: then they are derived from `status`; `message` may be NULL
 * (empty). All strings are borrowed. */
void http_status_error_body(struct buf *out, int status, const char *type, const char *code,
                            const char *message);

#endif
