/* Bearer token parsing and constant-time comparison. Depends on common/buf, common/xalloc. */
#include "bearer.h"

#include <string.h>
#include <strings.h>

#include "xalloc.h"

bool bearer_parse(struct slice value, struct slice *token)
{
    value = slice_trim(value);
    if (value.ptr == NULL || value.len < 7 || strncasecmp(value.ptr, "Bearer", 6) != 0 ||
        (value.ptr[6] != ' ' && value.ptr[6] != '\t'))
        return false;
    *token = slice_trim((struct slice){value.ptr + 7, value.len - 7});
    return token->len > 0 && token->len <= BEARER_MAX_TOKEN;
}

/* Compares every byte of the presented token whatever the outcome; only lengths leak. */
static bool same(struct slice token, const char *want, size_t want_len)
{
    unsigned diff = token.len != want_len;

    if (want_len == 0)
        return false;
    for (size_t i = 0; i < token.len; i++)
        diff |= (unsigned char)token.ptr[i] ^ (unsigned char)want[i % want_len];
    return diff == 0;
}

bool bearer_matches(struct slice token, const char *list)
{
    bool ok = false;

    if (token.ptr == NULL || list == NULL)
        return false;
    for (const char *p = list; *p != '\0';) {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        struct slice entry = slice_trim((struct slice){p, n});
        ok |= same(token, entry.ptr, entry.len); /* no early exit: each entry costs the same */
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return ok;
}

bool bearer_authorized(struct slice value, const char *list)
{
    struct slice token;

    return bearer_parse(value, &token) && bearer_matches(token, list);
}

char *bearer_header_new(const char *token)
{
    static const char prefix[] = "Authorization: Bearer ";

    if (token == NULL || token[0] == '\0')
        return NULL;
    size_t n = strlen(token);
    char *line = xmalloc(sizeof(prefix) + n);
    memcpy(line, prefix, sizeof(prefix) - 1);
    memcpy(line + sizeof(prefix) - 1, token, n + 1);
    return line;
}
