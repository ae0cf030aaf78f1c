/* SSE line splitting and OpenAI chunk interpretation. Depends on common/buf, common/json and
 * common/err. */
#include "sse.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "json.h"

void bench_sse_init(struct bench_sse *s, size_t max_event)
{
    buf_init(&s->line, max_event);
    buf_init(&s->data, max_event);
    s->has_data = false;
    s->after_cr = false;
}

void bench_sse_free(struct bench_sse *s)
{
    buf_free(&s->line);
    buf_free(&s->data);
}

static int dispatch(struct bench_sse *s, bench_sse_event_cb cb, void *ud)
{
    if (!s->has_data)
        return 0;
    s->has_data = false;
    int rc = cb(ud, buf_cstr(&s->data), s->data.len);
    buf_reset(&s->data);
    return rc < 0 ? rc : 0;
}

/* One complete line (without its terminator). */
static int process_line(struct bench_sse *s, bench_sse_event_cb cb, void *ud)
{
    const char *line = buf_cstr(&s->line);
    size_t len = s->line.len;
    int rc = 0;

    if (len == 0)
        return dispatch(s, cb, ud);
    if (line[0] == ':')
        return 0;
    const char *colon = memchr(line, ':', len);
    size_t name_len = colon != NULL ? (size_t)(colon - line) : len;
    if (name_len != 4 || memcmp(line, "data", 4) != 0)
        return 0;
    const char *val = colon != NULL ? colon + 1 : line + len;
    if (val < line + len && *val == ' ')
        val++;
    if (s->has_data)
        rc = buf_putc(&s->data, '\n');
    if (rc == 0)
        rc = buf_append(&s->data, val, (size_t)(line + len - val));
    s->has_data = true;
    return rc;
}

int bench_sse_feed(struct bench_sse *s, const char *p, size_t len, bench_sse_event_cb cb, void *ud)
{
    const char *end = p + len;

    while (p < end) {
        if (s->after_cr && *p == '\n') {
            s->after_cr = false;
            p++;
            continue;
        }
        s->after_cr = false;
        const char *stop = p;
        while (stop < end && *stop != '\n' && *stop != '\r')
            stop++;
        int rc = buf_append(&s->line, p, (size_t)(stop - p));
        if (rc < 0)
            return rc;
        if (stop == end)
            break;
        s->after_cr = *stop == '\r';
        p = stop + 1;
        rc = process_line(s, cb, ud);
        buf_reset(&s->line);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int bench_sse_finish(struct bench_sse *s, bench_sse_event_cb cb, void *ud)
{
    int rc = 0;

    if (s->line.len > 0) {
        rc = process_line(s, cb, ud);
        buf_reset(&s->line);
    }
    if (rc == 0)
        rc = dispatch(s, cb, ud);
    return rc;
}

/* ---------------------------------------------------------------- chunk interpretation */

static long long get_count(const cJSON *obj, const char *key)
{
    long long v;

    return json_get_int(obj, key, 0, (1LL << 53), &v) ? v : -1;
}

static void parse_usage(const cJSON *usage, struct bench_sse_chunk *out)
{
    if (!cJSON_IsObject(usage))
        return;
    out->has_usage = true;
    out->prompt_tokens = get_count(usage, "prompt_tokens");
    out->completion_tokens = get_count(usage, "completion_tokens");
    out->cached_tokens =
        get_count(json_get_object(usage, "prompt_tokens_details"), "cached_tokens");
}

static size_t text_len(const cJSON *obj, const char *key)
{
    const char *s = json_get_string(obj, key);

    return s != NULL ? strlen(s) : 0;
}

static void parse_choice(const cJSON *choice, struct bench_sse_chunk *out)
{
    const cJSON *delta = json_get_object(choice, "delta");
    const cJSON *msg = json_get_object(choice, "message");

    /* Reasoning models stream their thinking first; it counts as output, as in vLLM. */
    out->content_len = text_len(delta, "content") + text_len(delta, "reasoning_content") +
                       text_len(msg, "content") + text_len(msg, "reasoning_content") +
                       text_len(choice, "text");
}

static void parse_error(const cJSON *root, struct bench_sse_chunk *out)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    const char *msg = NULL;

    if (e == NULL || cJSON_IsNull(e))
        return;
    if (cJSON_IsString(e))
        msg = e->valuestring;
    else
        msg = json_get_string(e, "message");
    snprintf(out->error, sizeof(out->error), "%s", msg != NULL ? msg : "error");
}

int bench_sse_chunk_parse(const char *data, size_t len, struct bench_sse_chunk *out)
{
    memset(out, 0, sizeof(*out));
    out->prompt_tokens = out->completion_tokens = out->cached_tokens = -1;
    while (len > 0 && (data[len - 1] == ' ' || data[len - 1] == '\t'))
        len--;
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        out->done = true;
        return 0;
    }
    cJSON *root = json_parse(data, len, NULL);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return SVC_EPARSE;
    }
    const cJSON *choices = json_get_array(root, "choices");
    if (cJSON_GetArraySize(choices) > 0) {
        out->has_choices = true;
        parse_choice(cJSON_GetArrayItem(choices, 0), out);
    }
    parse_usage(json_get_object(root, "usage"), out);
    parse_error(root, out);
    cJSON_Delete(root);
    return 0;
}
