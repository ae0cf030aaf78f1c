/* The mock's token ids and its /tokenize answer. Pure; depends on common/ (buf, err, hash,
 * json, xalloc) and tools/mock/prompt. */
#include "tokenize.h"

#include <stdlib.h>

#include "buf.h"
#include "err.h"
#include "hash.h"
#include "json.h"
#include "prompt.h"
#include "xalloc.h"

size_t mock_tokenize_ids(const char *text, size_t len, int cpt, uint64_t seed, uint32_t *out,
                         size_t max)
{
    size_t step = (size_t)cpt;
    size_t n = (len + step - 1) / step;

    for (size_t i = 0; i < n && i < max; i++) {
        size_t off = i * step, chunk = len - off < step ? len - off : step;
        out[i] = (uint32_t)(hash64(text + off, chunk, seed) >> 33);
    }
    return n;
}

int mock_tokenize_reply(const cJSON *body, int cpt, uint64_t seed, int max_model_len,
                        struct buf *text, struct buf *out, struct err_msg *err)
{
    bool chat = cJSON_GetObjectItemCaseSensitive(body, "messages") != NULL;
    int rc;

    buf_reset(text);
    rc = chat ? mock_prompt_chat(body, text, err) : mock_prompt_completion(body, text, err);
    if (rc < 0)
        return rc;
    size_t n = mock_tokenize_ids(text->data, text->len, cpt, seed, NULL, 0);
    uint32_t *ids = xmalloc((n > 0 ? n : 1) * sizeof(*ids));
    mock_tokenize_ids(text->data, text->len, cpt, seed, ids, n);
    rc = buf_appendf(out, "{\"count\":%zu,\"max_model_len\":%d,\"tokens\":[", n, max_model_len);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i > 0)
            rc = buf_putc(out, ',');
        if (rc == 0)
            rc = buf_append_uint(out, ids[i]);
    }
    if (rc == 0)
        rc = buf_append_str(out, "]}");
    free(ids);
    return rc < 0 ? SVC_ELIMIT : 0;
}
