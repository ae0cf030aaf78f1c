/* Builds OpenAI request bodies from dataset records. Depends on cJSON, common/json, common/buf,
 * common/err and tools/bench/keypattern. */
#include "body.h"

#include <string.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "keypattern.h"

static long long record_id(const cJSON *rec, const char *key)
{
    long long v;

    return json_get_int(rec, key, 0, (1LL << 53), &v) ? v : -1;
}

/* The record's messages as "<role>: <content>" lines, for completion endpoints. */
static void messages_as_prompt(const cJSON *msgs, struct buf *out)
{
    const cJSON *m;
    bool first = true;

    cJSON_ArrayForEach(m, msgs)
    {
        const char *role = json_get_string(m, "role"), *content = json_get_string(m, "content");
        if (!first)
            buf_putc(out, '\n');
        first = false;
        buf_appendf(out, "%s: %s", role != NULL ? role : "user", content != NULL ? content : "");
    }
}

static void add_input(const struct bench_body_opts *o, const cJSON *rec, cJSON *body)
{
    const char *prompt = json_get_string(rec, "prompt");
    const cJSON *msgs = json_get_array(rec, "messages");

    if (o->endpoint == BENCH_ENDPOINT_CHAT) {
        if (msgs != NULL) {
            json_set_item(body, "messages", json_dup(msgs));
            return;
        }
        cJSON *arr = json_new_array(), *m = json_new_object();
        json_set_string(m, "role", "user");
        json_set_string(m, "content", prompt != NULL ? prompt : "");
        json_array_push(arr, m);
        json_set_item(body, "messages", arr);
        return;
    }
    if (prompt != NULL) {
        json_set_string(body, "prompt", prompt);
        return;
    }
    struct buf text;
    buf_init(&text, BUF_UNLIMITED);
    messages_as_prompt(msgs, &text);
    json_set_string(body, "prompt", buf_cstr(&text));
    buf_free(&text);
}

static int add_key(const struct bench_body_opts *o, const cJSON *rec, long long request_id,
                   cJSON *body, struct err_msg *err)
{
    if (o->no_cache_key)
        return 0;
    if (o->key == NULL) {
        const char *own = json_get_string(rec, "prompt_cache_key");
        if (own != NULL)
            json_set_string(body, "prompt_cache_key", own);
        return 0;
    }
    struct bench_keyvars vars = {
        {request_id, record_id(rec, "prefix_id"), record_id(rec, "conversation_id")}};
    struct buf key;
    buf_init(&key, 64 * 1024);
    int rc = bench_keypattern_expand(o->key, &vars, &key, err);
    if (rc == 0)
        json_set_string(body, "prompt_cache_key", buf_cstr(&key));
    buf_free(&key);
    return rc;
}

int bench_body_build(const struct bench_body_opts *o, const cJSON *rec, long long request_id,
                     struct buf *out, struct err_msg *err)
{
    cJSON *body = json_new_object();
    long long max_tokens = o->max_tokens;
    int rc;

    json_set_string(body, "model", o->model);
    add_input(o, rec, body);
    if (max_tokens <= 0 && !json_get_int(rec, "max_tokens", 1, 1 << 30, &max_tokens))
        max_tokens = 0;
    if (o->max_output_tokens > 0 && (max_tokens <= 0 || max_tokens > o->max_output_tokens))
        max_tokens = o->max_output_tokens;
    if (max_tokens > 0)
        json_set_number(body, "max_tokens", (double)max_tokens);
    json_set_bool(body, "stream", o->stream);
    if (o->stream) {
        cJSON *so = json_new_object();
        json_set_bool(so, "include_usage", true);
        json_set_item(body, "stream_options", so);
    }
    rc = add_key(o, rec, request_id, body, err);
    if (rc == 0 && o->extra != NULL) {
        const cJSON *item;
        cJSON_ArrayForEach(item, o->extra)
        {
            json_set_item(body, item->string, json_dup(item));
        }
    }
    if (rc == 0)
        rc = json_print(body, out);
    cJSON_Delete(body);
    return rc;
}

size_t bench_body_prompt_chars(const cJSON *rec)
{
    const char *prompt = json_get_string(rec, "prompt");
    const cJSON *m;
    size_t n = 0;

    if (prompt != NULL)
        return strlen(prompt);
    cJSON_ArrayForEach(m, json_get_array(rec, "messages"))
    {
        const char *content = json_get_string(m, "content");
        n += content != NULL ? strlen(content) : 0;
    }
    return n;
}
