/* Canonical prompt text of request bodies. Pure; depends on common/json and common/buf. */
#include "prompt.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "json.h"

static int append(struct buf *out, const char *s, size_t len)
{
    return buf_append(out, s, len) < 0 ? SVC_ELIMIT : 0;
}

static int append_str(struct buf *out, const char *s)
{
    return append(out, s, strlen(s));
}

/* A message's content: a string, an array of parts, or null/absent (nothing). */
static int append_content(const cJSON *content, struct buf *out, size_t i, struct err_msg *err)
{
    int rc = 0;

    if (content == NULL || cJSON_IsNull(content))
        return 0;
    if (cJSON_IsString(content))
        return append_str(out, content->valuestring);
    if (!cJSON_IsArray(content)) {
        err_set(err, 0, 0, "messages[%zu].content must be a string or an array of parts", i);
        return SVC_EPARSE;
    }
    const cJSON *part;
    cJSON_ArrayForEach(part, content)
    {
        if (!cJSON_IsObject(part)) {
            err_set(err, 0, 0, "messages[%zu].content parts must be objects", i);
            return SVC_EPARSE;
        }
        const char *text = json_get_string(part, "text");
        const char *inner = json_get_string(part, "content");
        if (text != NULL)
            rc = append_str(out, text);
        if (rc == 0 && inner != NULL)
            rc = append_str(out, inner);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int mock_prompt_chat(const cJSON *body, struct buf *out, struct err_msg *err)
{
    const cJSON *messages = json_get_array(body, "messages");
    const cJSON *msg;
    size_t i = 0;

    if (messages == NULL || cJSON_GetArraySize(messages) == 0) {
        err_set(err, 0, 0, "'messages' must be a non-empty array");
        return SVC_EPARSE;
    }
    cJSON_ArrayForEach(msg, messages)
    {
        if (!cJSON_IsObject(msg)) {
            err_set(err, 0, 0, "messages[%zu] must be an object", i);
            return SVC_EPARSE;
        }
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(msg, "role");
        if (role != NULL && !cJSON_IsString(role)) {
            err_set(err, 0, 0, "messages[%zu].role must be a string", i);
            return SVC_EPARSE;
        }
        int rc = append_str(out, role != NULL ? role->valuestring : "user");
        if (rc == 0)
            rc = append(out, "\n", 1);
        if (rc == 0)
            rc = append_content(cJSON_GetObjectItemCaseSensitive(msg, "content"), out, i, err);
        if (rc == 0)
            rc = append(out, "\n", 1);
        if (rc < 0)
            return rc;
        i++;
    }
    return 0;
}

/* A string or an array of strings under `key`; `sep` is appended after each array item. */
static int append_strings(const cJSON *body, const char *key, struct buf *out, char sep,
                          size_t *count, struct err_msg *err)
{
    const cJSON *v = cJSON_IsObject(body) ? cJSON_GetObjectItemCaseSensitive(body, key) : NULL;
    const cJSON *item;
    size_t n = 0;

    *count = 0;
    if (cJSON_IsString(v)) {
        *count = 1;
        int rc = append_str(out, v->valuestring);
        return rc == 0 && sep == '\0' ? append(out, "", 1) : rc;
    }
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0) {
        err_set(err, 0, 0, "'%s' must be a string or a non-empty array of strings", key);
        return SVC_EPARSE;
    }
    cJSON_ArrayForEach(item, v)
    {
        if (!cJSON_IsString(item)) {
            err_set(err, 0, 0, "'%s' must be a string or a non-empty array of strings", key);
            return SVC_EPARSE;
        }
        /* Newline-joined: no separator after the last item (a NUL terminator always). */
        if (n > 0 && sep != '\0' && append(out, &sep, 1) < 0)
            return SVC_ELIMIT;
        if (append_str(out, item->valuestring) < 0)
            return SVC_ELIMIT;
        if (sep == '\0' && append(out, "", 1) < 0)
            return SVC_ELIMIT;
        n++;
    }
    *count = n;
    return 0;
}

int mock_prompt_completion(const cJSON *body, struct buf *out, struct err_msg *err)
{
    size_t count;

    return append_strings(body, "prompt", out, '\n', &count, err);
}

int mock_prompt_inputs(const cJSON *body, struct buf *out, size_t *count, struct err_msg *err)
{
    return append_strings(body, "input", out, '\0', count, err);
}

/* An optional boolean: absent/null leaves *out; another type is an error. */
static bool opt_bool(const cJSON *obj, const char *key, bool *out)
{
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

    if (v == NULL || cJSON_IsNull(v))
        return true;
    if (!cJSON_IsBool(v))
        return false;
    *out = cJSON_IsTrue(v);
    return true;
}

/* max_completion_tokens, else max_tokens: absent/null leaves `a`; else an integer in range. */
static bool opt_max_tokens(const cJSON *body, int limit, struct mock_prompt_args *a)
{
    static const char *const keys[] = {"max_completion_tokens", "max_tokens"};

    for (int i = 0; i < 2; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, keys[i]);
        long long n;
        if (v == NULL || cJSON_IsNull(v))
            continue;
        if (!json_get_int(body, keys[i], 1, limit, &n))
            return false;
        a->max_tokens = (int)n;
        a->max_given = true;
        return true;
    }
    return true;
}

/* n: absent/null leaves `a`; else an integer in 1..MOCK_PROMPT_MAX_N. */
static bool opt_n(const cJSON *body, struct mock_prompt_args *a)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "n");
    long long n;

    if (v == NULL || cJSON_IsNull(v))
        return true;
    if (!json_get_int(body, "n", 1, MOCK_PROMPT_MAX_N, &n))
        return false;
    a->n = (int)n;
    return true;
}

int mock_prompt_request(const cJSON *body, bool chat, int max_tokens_limit,
                        struct mock_prompt_args *args, struct buf *text, struct err_msg *err)
{
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(body, "model");

    *args = (struct mock_prompt_args){{NULL, 0}, false, false, false, 0, 1};
    if (!cJSON_IsObject(body)) {
        err_set(err, 0, 0, "the body must be a JSON object");
        return SVC_EPARSE;
    }
    if (cJSON_IsString(model)) {
        args->model = slice_from_cstr(model->valuestring);
    } else if (model != NULL && !cJSON_IsNull(model)) {
        err_set(err, 0, 0, "'model' must be a string");
        return SVC_EPARSE;
    }
    if (!opt_bool(body, "stream", &args->stream)) {
        err_set(err, 0, 0, "'stream' must be a boolean");
        return SVC_EPARSE;
    }
    if (!opt_bool(json_get_object(body, "stream_options"), "include_usage", &args->include_usage)) {
        err_set(err, 0, 0, "'stream_options.include_usage' must be a boolean");
        return SVC_EPARSE;
    }
    if (!opt_max_tokens(body, max_tokens_limit, args)) {
        err_set(err, 0, 0, "'max_tokens' / 'max_completion_tokens' must be an integer from 1 to %d",
                max_tokens_limit);
        return SVC_EPARSE;
    }
    if (!opt_n(body, args)) {
        err_set(err, 0, 0, "'n' must be an integer from 1 to %d", MOCK_PROMPT_MAX_N);
        return SVC_EPARSE;
    }
    return chat ? mock_prompt_chat(body, text, err) : mock_prompt_completion(body, text, err);
}

int mock_prompt_tokens(size_t bytes, int chars_per_token)
{
    size_t cpt = chars_per_token > 0 ? (size_t)chars_per_token : 1;
    size_t n = bytes / cpt + (bytes % cpt != 0);

    return n > INT_MAX ? INT_MAX : (int)n;
}
