/* Status texts, error-code mapping and OpenAI-shaped error bodies. A leaf: depends on
 * common/err, common/json (string escaping) and common/buf only. */
#include "http_status.h"

#include <string.h>

#include <uv.h>

#include "err.h"
#include "json.h"

const char *http_status_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Unknown";
    }
}

int http_status_for_error(int rc)
{
    switch (rc) {
    case SVC_EPARSE:
    case SVC_EBADCONFIG:
    case UV_EINVAL:
        return 400;
    case SVC_EAUTH:
        return 401;
    case SVC_ENOTFOUND:
        return 404;
    case SVC_ELIMIT:
        return 413;
    case SVC_ENOROUTE:
    case UV_ECONNREFUSED:
        return 503;
    case UV_ETIMEDOUT:
        return 504;
    case SVC_EHTTP:
    case UV_ECONNRESET:
    case UV_EPIPE:
        return 502;
    default:
        return 500;
    }
}

/* OpenAI-style error type and a short machine code for a status. */
static void error_kind(int status, const char **type, const char **code)
{
    switch (status) {
    case 401:
        *type = "authentication_error";
        *code = "unauthorized";
        return;
    case 403:
        *type = "permission_error";
        *code = "forbidden";
        return;
    case 404:
        *type = "not_found_error";
        *code = "not_found";
        return;
    case 405:
        *type = "invalid_request_error";
        *code = "method_not_allowed";
        return;
    case 408:
        *type = "timeout_error";
        *code = "request_timeout";
        return;
    case 413:
        *type = "invalid_request_error";
        *code = "payload_too_large";
        return;
    case 414:
        *type = "invalid_request_error";
        *code = "uri_too_long";
        return;
    case 415:
        *type = "invalid_request_error";
        *code = "unsupported_media_type";
        return;
    case 422:
        *type = "invalid_request_error";
        *code = "unprocessable_entity";
        return;
    case 429:
        *type = "rate_limit_error";
        *code = "rate_limit_exceeded";
        return;
    case 431:
        *type = "invalid_request_error";
        *code = "headers_too_large";
        return;
    case 502:
        *type = "upstream_error";
        *code = "bad_gateway";
        return;
    case 503:
        *type = "service_unavailable_error";
        *code = "service_unavailable";
        return;
    case 504:
        *type = "timeout_error";
        *code = "gateway_timeout";
        return;
    default:
        if (status >= 500) {
            *type = "server_error";
            *code = "internal_error";
        } else {
            *type = "invalid_request_error";
            *code = "bad_request";
        }
    }
}

void http_status_error_body(struct buf *out, int status, const char *type, const char *code,
                            const char *message)
{
    const char *dtype, *dcode;

    error_kind(status, &dtype, &dcode);
    /* Keys in sorted order, as everything this project prints. */
    buf_append_str(out, "{\"error\":{\"code\":");
    json_print_string(out, code ? code : dcode, strlen(code ? code : dcode));
    buf_append_str(out, ",\"message\":");
    json_print_string(out, message ? message : "", message ? strlen(message) : 0);
    buf_append_str(out, ",\"type\":");
    json_print_string(out, type ? type : dtype, strlen(type ? type : dtype));
    buf_append_str(out, "}}");
}
