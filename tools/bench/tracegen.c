/* Synthetic Mooncake-format traces: block ids per conversation turn, a seeded interleaving and
 * Poisson timestamps. Depends on cJSON, common/json, common/err and
 * tools/bench/{dataset,arrival,rng,trace}. */
#include "tracegen.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "arrival.h"
#include "dataset.h"
#include "err.h"
#include "json.h"
#include "rng.h"
#include "trace.h"
#include "xalloc.h"

#define STREAM_TRACE_ORDER (5ULL << 40)
#define MAX_RECORDS        10000000LL
#define MAX_INPUT_TOKENS   (16LL << 20) /* per request: keeps the replayed prompts sane */

struct shape {
    long long system, first, reply, next; /* tokens */
    long long system_blocks;              /* full blocks of one system prompt */
};

static struct shape shape_of(const struct bench_gen_params *p)
{
    long long cpt = p->chars_per_token;
    struct shape s = {
        .system = p->prefix_len / cpt,
        .first = p->context_len / cpt,
        .reply = p->context_len / cpt,
        .next = p->new_msg_len / cpt,
    };

    s.system_blocks = s.system / BENCH_TRACE_BLOCK_TOKENS;
    return s;
}

int bench_tracegen_check(const struct bench_gen_params *p, struct err_msg *err)
{
    if (p->num_conversations < 1 || p->messages_per_conv < 1 || p->num_prefixes < 1 ||
        p->prefix_len < 1 || p->new_msg_len < 0 || p->chars_per_token < 1 ||
        p->context_len < p->chars_per_token) {
        err_set(err, 0, 0,
                "trace needs --num-conversations >= 1, --messages-per-conv >= 1, "
                "--num-prefixes >= 1, --prefix-len >= 1, --new-msg-len >= 0 and --context-len "
                ">= --chars-per-token");
        return SVC_EBADCONFIG;
    }
    if (!(p->rate > 0.0) || isinf(p->rate)) {
        err_set(err, 0, 0, "trace needs a finite --request-rate > 0 for its timestamps");
        return SVC_EBADCONFIG;
    }
    if ((long long)p->num_conversations * p->messages_per_conv > MAX_RECORDS) {
        err_set(err, 0, 0, "too many records (at most 10 million)");
        return SVC_EBADCONFIG;
    }
    struct shape s = shape_of(p);
    double last = (double)(s.system + s.first) +
                  (double)(p->messages_per_conv - 1) * (double)(s.reply + s.next);
    if (last > (double)MAX_INPUT_TOKENS) {
        err_set(err, 0, 0, "the last turn would hold %.0f tokens (at most %lld)", last,
                MAX_INPUT_TOKENS);
        return SVC_EBADCONFIG;
    }
    return 0;
}

static cJSON *trace_record(const long long *ids, size_t nids, long long input, long long output)
{
    cJSON *rec = json_new_object(), *arr = json_new_array();

    for (size_t i = 0; i < nids; i++)
        json_array_push(arr, json_new_number((double)ids[i]));
    /* Mooncake's key order; the timestamp is filled in once the order is known. */
    json_set_number(rec, "timestamp", 0);
    json_set_number(rec, "input_length", (double)input);
    json_set_number(rec, "output_length", (double)output);
    json_set_item(rec, "hash_ids", arr);
    return rec;
}

/* The messages_per_conv records of conversation `c`, in turn order, into recs[0..turns). */
static void conversation(const struct bench_gen_params *p, const struct shape *s, int c,
                         long long *next_id, cJSON **recs)
{
    long long input = s->system + s->first, sp = c % p->num_prefixes;
    size_t stable = (size_t)s->system_blocks, cap = 16, nids = 0;
    long long *ids = xcalloc(cap, sizeof(*ids));

    for (size_t j = 0; j < stable; j++) {
        if (nids == cap)
            ids = xrealloc(ids, (cap *= 2) * sizeof(*ids));
        ids[nids++] = sp * s->system_blocks + (long long)j;
    }
    for (int t = 0; t < p->messages_per_conv; t++) {
        size_t need = (size_t)((input + BENCH_TRACE_BLOCK_TOKENS - 1) / BENCH_TRACE_BLOCK_TOKENS);
        nids = nids < stable ? nids : stable; /* a partial last block changes when it grows */
        while (nids < need) {
            if (nids == cap)
                ids = xrealloc(ids, (cap *= 2) * sizeof(*ids));
            ids[nids++] = (*next_id)++;
        }
        recs[t] = trace_record(ids, need, input, s->reply > 0 ? s->reply : 1);
        stable = (size_t)(input / BENCH_TRACE_BLOCK_TOKENS);
        input += s->reply + s->next;
    }
    free(ids);
}

int bench_tracegen_generate(const struct bench_gen_params *p, struct bench_dataset *out)
{
    struct shape s = shape_of(p);
    size_t nc = (size_t)p->num_conversations, nt = (size_t)p->messages_per_conv, n = nc * nt;
    cJSON **recs = xcalloc(n, sizeof(*recs));
    size_t *order = xcalloc(n, sizeof(*order)), *turn = xcalloc(nc, sizeof(*turn));
    double *at = xcalloc(n, sizeof(*at));
    long long next_id = (long long)p->num_prefixes * s.system_blocks;
    struct bench_rng r;

    for (size_t c = 0; c < nc; c++)
        conversation(p, &s, (int)c, &next_id, &recs[c * nt]);
    /* Interleave: a seeded shuffle of conversation numbers, one entry per turn. */
    for (size_t i = 0; i < n; i++)
        order[i] = i / nt;
    bench_rng_seed2(&r, p->seed, STREAM_TRACE_ORDER);
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)bench_rng_below(&r, i), tmp = order[i - 1];
        order[i - 1] = order[j];
        order[j] = tmp;
    }
    bench_arrival_schedule(n, p->rate, 1.0, p->seed, at);
    for (size_t i = 0; i < n; i++) {
        size_t c = order[i];
        cJSON *rec = recs[c * nt + turn[c]++];
        cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(rec, "timestamp"),
                             floor(at[i] * 1000.0));
        bench_dataset_push(out, rec);
    }
    free(at);
    free(turn);
    free(order);
    free(recs);
    return 0;
}
