/* vLLM KV event decoder: a bounded msgpack cursor (every element count is checked against the
 * bytes left before it is believed, containers are skipped iteratively, so no input can make it
 * allocate, recurse or read out of bounds) and the event schema on top of it. Each message is
 * walked twice: once to validate it and size the scratch arrays, once to fill them and deliver
 * the events, so a malformed message delivers nothing. Depends on libc and common/hash. */
#include "kv_decode.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hash.h"
#include "xalloc.h"

/* ---------------------------------------------------------------- msgpack cursor */

enum mp_kind {
    MP_NIL,
    MP_BOOL,
    MP_UINT,
    MP_INT,
    MP_FLOAT,
    MP_STR,
    MP_BIN,
    MP_ARRAY,
    MP_MAP,
    MP_EXT
};

struct mp {
    const uint8_t *p, *end;
};

struct mp_val {
    enum mp_kind kind;
    uint64_t u; /* MP_UINT, MP_BOOL */
    int64_t i;  /* MP_INT (negative or signed encodings) */
    double f;   /* MP_FLOAT */
    const uint8_t *ptr;
    size_t n; /* bytes of MP_STR/MP_BIN/MP_EXT, elements of MP_ARRAY, pairs of MP_MAP */
};

static uint64_t be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Takes `n` bytes from the cursor into *out; false when fewer are left. */
static bool take(struct mp *m, size_t n, const uint8_t **out)
{
    if ((size_t)(m->end - m->p) < n)
        return false;
    *out = m->p;
    m->p += n;
    return true;
}

static bool take_be(struct mp *m, size_t n, uint64_t *v)
{
    const uint8_t *q;

    if (!take(m, n, &q))
        return false;
    *v = be(q, n);
    return true;
}

/* Reads a container header's count; a container of `n` elements (`per` objects each, 2 for a
 * map) needs at least n * per bytes, which bounds every count by the input size. */
static int container(struct mp *m, struct mp_val *v, enum mp_kind kind, size_t lenbytes,
                     uint64_t fixed, size_t per)
{
    uint64_t n = fixed;

    if (lenbytes > 0 && !take_be(m, lenbytes, &n))
        return SVC_EPARSE;
    if (n > (uint64_t)(m->end - m->p) / per)
        return SVC_EPARSE;
    v->kind = kind;
    v->n = (size_t)n;
    return 0;
}

static int bytes(struct mp *m, struct mp_val *v, enum mp_kind kind, size_t lenbytes, uint64_t n)
{
    if (lenbytes > 0 && !take_be(m, lenbytes, &n))
        return SVC_EPARSE;
    if (kind == MP_EXT)
        n++; /* the type byte */
    if (n > (uint64_t)(m->end - m->p) || !take(m, (size_t)n, &v->ptr))
        return SVC_EPARSE;
    v->kind = kind;
    v->n = (size_t)n;
    return 0;
}

static int scalar(struct mp *m, struct mp_val *v, enum mp_kind kind, size_t n)
{
    uint64_t raw;

    if (!take_be(m, n, &raw))
        return SVC_EPARSE;
    v->kind = kind;
    if (kind == MP_UINT) {
        v->u = raw;
    } else if (kind == MP_INT) {
        /* Sign-extend the n-byte two's complement value. */
        v->i = n == 8 ? (int64_t)raw
                      : (int64_t)(raw ^ (UINT64_C(1) << (8 * n - 1))) -
                            (int64_t)(UINT64_C(1) << (8 * n - 1));
    } else if (n == 4) {
        uint32_t bits = (uint32_t)raw;
        float f;
        memcpy(&f, &bits, sizeof(f));
        v->f = f;
    } else {
        memcpy(&v->f, &raw, sizeof(v->f));
    }
    return 0;
}

/* Reads one value's header (and a scalar's value). Containers' elements follow. */
static int mp_read(struct mp *m, struct mp_val *v)
{
    const uint8_t *q;

    if (!take(m, 1, &q))
        return SVC_EPARSE;
    uint8_t c = *q;
    if (c <= 0x7f) {
        v->kind = MP_UINT;
        v->u = c;
        return 0;
    }
    if (c >= 0xe0) {
        v->kind = MP_INT;
        v->i = (int8_t)c;
        return 0;
    }
    if (c <= 0x8f)
        return container(m, v, MP_MAP, 0, c & 0x0f, 2);
    if (c <= 0x9f)
        return container(m, v, MP_ARRAY, 0, c & 0x0f, 1);
    if (c <= 0xbf)
        return bytes(m, v, MP_STR, 0, c & 0x1f);
    switch (c) {
    case 0xc0:
        v->kind = MP_NIL;
        return 0;
    case 0xc2:
    case 0xc3:
        v->kind = MP_BOOL;
        v->u = c == 0xc3;
        return 0;
    case 0xc4:
    case 0xc5:
    case 0xc6:
        return bytes(m, v, MP_BIN, (size_t)1 << (c - 0xc4), 0);
    case 0xc7:
    case 0xc8:
    case 0xc9:
        return bytes(m, v, MP_EXT, (size_t)1 << (c - 0xc7), 0);
    case 0xca:
        return scalar(m, v, MP_FLOAT, 4);
    case 0xcb:
        return scalar(m, v, MP_FLOAT, 8);
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
        return scalar(m, v, MP_UINT, (size_t)1 << (c - 0xcc));
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
        return scalar(m, v, MP_INT, (size_t)1 << (c - 0xd0));
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
        return bytes(m, v, MP_EXT, 0, (uint64_t)1 << (c - 0xd4));
    case 0xd9:
    case 0xda:
    case 0xdb:
        return bytes(m, v, MP_STR, (size_t)1 << (c - 0xd9), 0);
    case 0xdc:
    case 0xdd:
        return container(m, v, MP_ARRAY, (size_t)2 << (c - 0xdc), 0, 1);
    case 0xde:
    case 0xdf:
        return container(m, v, MP_MAP, (size_t)2 << (c - 0xde), 0, 2);
    default: /* 0xc1: never used */
        return SVC_EPARSE;
    }
}

/* Skips `count` whole values, without recursion: containers add their elements to the count,
 * which the header checks keep below the number of bytes left. */
static int mp_skipn(struct mp *m, size_t count)
{
    struct mp_val v;

    while (count > 0) {
        int rc = mp_read(m, &v);
        if (rc < 0)
            return rc;
        count--;
        if (v.kind == MP_ARRAY)
            count += v.n;
        else if (v.kind == MP_MAP)
            count += 2 * v.n;
    }
    return 0;
}

static bool is_str(const struct mp_val *v, const char *lit)
{
    size_t n = strlen(lit);

    return v->kind == MP_STR && v->n == n && memcmp(v->ptr, lit, n) == 0;
}

static int read_int(struct mp *m, int64_t lo, int64_t hi, bool nil_ok, bool *present, int64_t *out)
{
    struct mp_val v;
    int rc = mp_read(m, &v);

    if (rc < 0)
        return rc;
    if (v.kind == MP_NIL && nil_ok) {
        *present = false;
        return 0;
    }
    if (v.kind == MP_UINT && v.u <= (uint64_t)INT64_MAX)
        *out = (int64_t)v.u;
    else if (v.kind == MP_INT)
        *out = v.i;
    else
        return SVC_EPARSE;
    if (*out < lo || *out > hi)
        return SVC_EPARSE;
    *present = true;
    return 0;
}

static int read_hash(struct mp *m, bool nil_ok, bool *present, uint64_t *out)
{
    struct mp_val v;
    int rc = mp_read(m, &v);

    if (rc < 0)
        return rc;
    *present = true;
    if (v.kind == MP_UINT)
        *out = v.u;
    else if (v.kind == MP_INT)
        *out = (uint64_t)v.i;
    else if (v.kind == MP_BIN)
        *out = hash64(v.ptr, v.n, 0);
    else if (v.kind == MP_NIL && nil_ok)
        *present = false;
    else
        return SVC_EPARSE;
    return 0;
}

static int read_opt_str(struct mp *m, struct rt_kv_str *out)
{
    struct mp_val v;
    int rc = mp_read(m, &v);

    if (rc < 0)
        return rc;
    if (v.kind == MP_NIL) {
        *out = (struct rt_kv_str){NULL, 0};
        return 0;
    }
    if (v.kind != MP_STR)
        return SVC_EPARSE;
    *out = (struct rt_kv_str){(const char *)v.ptr, v.n};
    return 0;
}

/* ---------------------------------------------------------------- decoder */

struct rt_kv_decoder {
    uint64_t *hashes, *extra;
    uint32_t *tokens;
    size_t cap_blocks, cap_tokens;
};

struct rt_kv_decoder *rt_kv_decoder_new(void)
{
    return xcalloc(1, sizeof(struct rt_kv_decoder));
}

void rt_kv_decoder_free(struct rt_kv_decoder *d)
{
    if (d == NULL)
        return;
    free(d->hashes);
    free(d->extra);
    free(d->tokens);
    free(d);
}

int rt_kv_decode_seq(const void *frame, size_t len, int64_t *seq)
{
    if (len != 8)
        return SVC_EPARSE;
    *seq = (int64_t)be(frame, 8);
    return 0;
}

/* One walk over a batch. Pass 0 (`fill` false) validates and records the largest arrays;
 * pass 1 writes into the scratch arrays and delivers events. */
struct walk {
    struct rt_kv_decoder *d;
    bool fill;
    size_t max_blocks, max_tokens;
    rt_kv_event_cb cb;
    void *ud;
    struct rt_kv_batch *batch;
};

enum field {
    F_NONE,
    F_HASHES,
    F_PARENT,
    F_TOKENS,
    F_BLOCK_SIZE,
    F_LORA_ID,
    F_MEDIUM,
    F_LORA_NAME,
    F_EXTRA,
    F_GROUP,
    F_COUNT,
};

static const char *const field_names[F_COUNT] = {
    [F_HASHES] = "block_hashes",   [F_PARENT] = "parent_block_hash", [F_TOKENS] = "token_ids",
    [F_BLOCK_SIZE] = "block_size", [F_LORA_ID] = "lora_id",          [F_MEDIUM] = "medium",
    [F_LORA_NAME] = "lora_name",   [F_EXTRA] = "extra_keys",         [F_GROUP] = "group_idx",
};

/* Positional fields after the tag in the array encoding (later ones are ignored). */
static const enum field stored_order[] = {F_HASHES, F_PARENT,    F_TOKENS, F_BLOCK_SIZE, F_LORA_ID,
                                          F_MEDIUM, F_LORA_NAME, F_EXTRA,  F_GROUP};
static const enum field removed_order[] = {F_HASHES, F_MEDIUM, F_GROUP};

/* Where each field's value starts in the payload (NULL = absent). */
struct fields {
    const uint8_t *at[F_COUNT];
};

static int decode_hashes(struct walk *w, struct mp *m, struct rt_kv_event *ev)
{
    struct mp_val v;
    int rc = mp_read(m, &v);

    if (rc < 0 || v.kind != MP_ARRAY)
        return rc < 0 ? rc : SVC_EPARSE;
    if (v.n > RT_KV_DECODE_MAX_BLOCKS)
        return SVC_ELIMIT;
    for (size_t i = 0; i < v.n; i++) {
        bool present;
        uint64_t h;
        if ((rc = read_hash(m, false, &present, &h)) < 0)
            return rc;
        if (w->fill)
            w->d->hashes[i] = h;
    }
    ev->nblocks = v.n;
    ev->block_hashes = w->fill ? w->d->hashes : NULL;
    if (v.n > w->max_blocks)
        w->max_blocks = v.n;
    return 0;
}

static int decode_tokens(struct walk *w, struct mp *m, struct rt_kv_event *ev)
{
    struct mp_val v;
    int rc = mp_read(m, &v);

    if (rc < 0 || v.kind != MP_ARRAY)
        return rc < 0 ? rc : SVC_EPARSE;
    if (v.n > RT_KV_DECODE_MAX_TOKENS)
        return SVC_ELIMIT;
    for (size_t i = 0; i < v.n; i++) {
        struct mp_val t;
        if ((rc = mp_read(m, &t)) < 0)
            return rc;
        if (t.kind != MP_UINT || t.u > UINT32_MAX)
            return SVC_EPARSE;
        if (w->fill)
            w->d->tokens[i] = (uint32_t)t.u;
    }
    ev->ntokens = v.n;
    ev->token_ids = w->fill ? w->d->tokens : NULL;
    if (v.n > w->max_tokens)
        w->max_tokens = v.n;
    return 0;
}

/* extra_keys: nil, or one entry per block, each nil or any value (hashed as encoded). */
static int decode_extra(struct walk *w, struct mp *m, struct rt_kv_event *ev)
{
    struct mp_val v;
    bool any = false;
    int rc = mp_read(m, &v);

    if (rc < 0 || v.kind == MP_NIL)
        return rc;
    if (v.kind != MP_ARRAY || v.n != ev->nblocks)
        return SVC_EPARSE;
    for (size_t i = 0; i < v.n; i++) {
        const uint8_t *start = m->p;
        struct mp_val e;
        struct mp peek = *m;
        if ((rc = mp_read(&peek, &e)) < 0 || (rc = mp_skipn(m, 1)) < 0)
            return rc;
        uint64_t h = e.kind == MP_NIL ? 0 : hash64(start, (size_t)(m->p - start), 0) | 1;
        any |= h != 0;
        if (w->fill)
            w->d->extra[i] = h;
    }
    ev->extra = any && w->fill ? w->d->extra : NULL;
    return 0;
}

static int decode_field(struct walk *w, enum field f, const uint8_t *at, const uint8_t *end,
                        struct rt_kv_event *ev)
{
    struct mp m = {at, end};
    int64_t x = 0;
    bool present = false;
    int rc;

    switch (f) {
    case F_HASHES:
        return decode_hashes(w, &m, ev);
    case F_PARENT:
        return read_hash(&m, true, &ev->has_parent, &ev->parent);
    case F_TOKENS:
        return decode_tokens(w, &m, ev);
    case F_BLOCK_SIZE:
        rc = read_int(&m, 1, RT_KV_DECODE_MAX_BLOCK_SIZE, false, &present, &x);
        ev->block_size = (uint32_t)x;
        return rc;
    case F_LORA_ID:
        return read_int(&m, INT64_MIN, INT64_MAX, true, &ev->has_lora_id, &ev->lora_id);
    case F_MEDIUM:
        return read_opt_str(&m, &ev->medium);
    case F_LORA_NAME:
        return read_opt_str(&m, &ev->lora_name);
    case F_EXTRA:
        return decode_extra(w, &m, ev);
    case F_GROUP:
        return read_int(&m, INT64_MIN, INT64_MAX, true, &ev->has_group, &ev->group_idx);
    default:
        return 0;
    }
}

/* Decodes the fields of a known event kind and delivers it (pass 1). */
static int finish_event(struct walk *w, struct rt_kv_event *ev, const struct fields *fs,
                        const uint8_t *end)
{
    int rc;

    if (ev->type == RT_KV_ALL_CLEARED)
        goto deliver;
    if (fs->at[F_HASHES] == NULL)
        return SVC_EPARSE;
    if (ev->type == RT_KV_BLOCK_STORED &&
        (fs->at[F_TOKENS] == NULL || fs->at[F_BLOCK_SIZE] == NULL))
        return SVC_EPARSE;
    /* In field order, so that extra_keys can check its length against the block count. */
    for (int f = F_HASHES; f < F_COUNT; f++) {
        if (fs->at[f] != NULL && (rc = decode_field(w, (enum field)f, fs->at[f], end, ev)) < 0)
            return rc;
    }
    if (ev->type == RT_KV_BLOCK_STORED && ev->ntokens != ev->nblocks * (size_t)ev->block_size)
        return SVC_EPARSE;
deliver:
    w->batch->nevents++;
    if (w->fill && w->cb != NULL)
        w->cb(w->ud, ev);
    return 0;
}

static bool tag_type(const struct mp_val *tag, enum rt_kv_event_type *type)
{
    if (is_str(tag, "BlockStored"))
        *type = RT_KV_BLOCK_STORED;
    else if (is_str(tag, "BlockRemoved"))
        *type = RT_KV_BLOCK_REMOVED;
    else if (is_str(tag, "AllBlocksCleared"))
        *type = RT_KV_ALL_CLEARED;
    else
        return false;
    return true;
}

/* [tag, field, field, ...]: the tag says which positional table applies. */
static int event_array(struct mp *m, size_t n, struct fields *fs, bool *known,
                       enum rt_kv_event_type *type)
{
    struct mp_val tag;
    int rc;

    if (n == 0 || (rc = mp_read(m, &tag)) < 0 || tag.kind != MP_STR)
        return SVC_EPARSE;
    *known = tag_type(&tag, type);
    const enum field *order = *type == RT_KV_BLOCK_STORED ? stored_order : removed_order;
    size_t norder = !*known || *type == RT_KV_ALL_CLEARED ? 0
                    : *type == RT_KV_BLOCK_STORED         ? sizeof(stored_order) / sizeof(*order)
                                                          : sizeof(removed_order) / sizeof(*order);
    for (size_t i = 1; i < n; i++) {
        if (i - 1 < norder)
            fs->at[order[i - 1]] = m->p;
        if ((rc = mp_skipn(m, 1)) < 0)
            return rc;
    }
    return 0;
}

/* {"type": tag, name: value, ...} in any key order. */
static int event_map(struct mp *m, size_t n, struct fields *fs, bool *known,
                     enum rt_kv_event_type *type)
{
    bool tagged = false;
    int rc;

    *known = false;
    for (size_t i = 0; i < n; i++) {
        struct mp_val key;
        if ((rc = mp_read(m, &key)) < 0 || key.kind != MP_STR)
            return rc < 0 ? rc : SVC_EPARSE;
        if (is_str(&key, "type")) {
            struct mp_val tag;
            if ((rc = mp_read(m, &tag)) < 0 || tag.kind != MP_STR)
                return rc < 0 ? rc : SVC_EPARSE;
            tagged = true;
            *known = tag_type(&tag, type);
            continue;
        }
        for (int f = F_HASHES; f < F_COUNT; f++) {
            if (is_str(&key, field_names[f]))
                fs->at[f] = m->p;
        }
        if ((rc = mp_skipn(m, 1)) < 0)
            return rc;
    }
    return tagged ? 0 : SVC_EPARSE;
}

static int walk_event(struct walk *w, struct mp *m)
{
    struct fields fs = {0};
    struct rt_kv_event ev = {0};
    struct mp_val v;
    bool known = false;
    int rc = mp_read(m, &v);

    if (rc < 0)
        return rc;
    if (v.kind == MP_ARRAY)
        rc = event_array(m, v.n, &fs, &known, &ev.type);
    else if (v.kind == MP_MAP)
        rc = event_map(m, v.n, &fs, &known, &ev.type);
    else
        rc = SVC_EPARSE;
    if (rc < 0)
        return rc;
    if (!known) {
        w->batch->unknown_events++;
        return 0;
    }
    return finish_event(w, &ev, &fs, m->end);
}

static int walk_events(struct walk *w, struct mp *m)
{
    struct mp_val v;
    int rc = mp_read(m, &v);

    if (rc < 0 || v.kind != MP_ARRAY)
        return rc < 0 ? rc : SVC_EPARSE;
    for (size_t i = 0; i < v.n; i++) {
        if ((rc = walk_event(w, m)) < 0)
            return rc;
    }
    return 0;
}

static int read_ts(struct mp *m, double *ts)
{
    struct mp_val v;
    int rc = mp_read(m, &v);

    if (rc < 0)
        return rc;
    if (v.kind == MP_FLOAT)
        *ts = v.f;
    else if (v.kind == MP_UINT)
        *ts = (double)v.u;
    else if (v.kind == MP_INT)
        *ts = (double)v.i;
    else
        return SVC_EPARSE;
    return 0;
}

static int read_dp_rank(struct mp *m, struct rt_kv_batch *b)
{
    return read_int(m, INT64_MIN, INT64_MAX, true, &b->has_dp_rank, &b->dp_rank);
}

/* [ts, events, data_parallel_rank?, ...] or {"ts", "events", "data_parallel_rank"}. */
static int walk_batch(struct walk *w, struct mp *m)
{
    struct mp_val v;
    struct mp events = {NULL, m->end};
    bool has_ts = false;
    int rc = mp_read(m, &v);

    if (rc < 0)
        return rc;
    if (v.kind == MP_ARRAY) {
        if (v.n < 2 || (rc = read_ts(m, &w->batch->ts)) < 0)
            return rc < 0 ? rc : SVC_EPARSE;
        if ((rc = walk_events(w, m)) < 0)
            return rc;
        if (v.n >= 3 && (rc = read_dp_rank(m, w->batch)) < 0)
            return rc;
        return v.n > 3 ? mp_skipn(m, v.n - 3) : 0;
    }
    if (v.kind != MP_MAP)
        return SVC_EPARSE;
    for (size_t i = 0; i < v.n; i++) {
        struct mp_val key;
        if ((rc = mp_read(m, &key)) < 0 || key.kind != MP_STR)
            return rc < 0 ? rc : SVC_EPARSE;
        if (is_str(&key, "ts")) {
            rc = read_ts(m, &w->batch->ts);
            has_ts = true;
        } else if (is_str(&key, "data_parallel_rank")) {
            rc = read_dp_rank(m, w->batch);
        } else {
            if (is_str(&key, "events"))
                events.p = m->p;
            rc = mp_skipn(m, 1);
        }
        if (rc < 0)
            return rc;
    }
    if (!has_ts || events.p == NULL)
        return SVC_EPARSE;
    return walk_events(w, &events);
}

static int walk_payload(struct walk *w, const void *payload, size_t len)
{
    struct mp m = {payload, (const uint8_t *)payload + len};

    memset(w->batch, 0, sizeof(*w->batch));
    int rc = walk_batch(w, &m);
    if (rc == 0 && m.p != m.end)
        rc = SVC_EPARSE; /* trailing bytes */
    return rc;
}

static void reserve(struct rt_kv_decoder *d, size_t blocks, size_t tokens)
{
    if (blocks > d->cap_blocks) {
        free(d->hashes);
        free(d->extra);
        d->hashes = xmalloc(blocks * sizeof(*d->hashes));
        d->extra = xmalloc(blocks * sizeof(*d->extra));
        d->cap_blocks = blocks;
    }
    if (tokens > d->cap_tokens) {
        free(d->tokens);
        d->tokens = xmalloc(tokens * sizeof(*d->tokens));
        d->cap_tokens = tokens;
    }
}

int rt_kv_decode_batch(struct rt_kv_decoder *d, const void *payload, size_t len,
                       struct rt_kv_batch *batch, rt_kv_event_cb cb, void *ud)
{
    struct walk w = {.d = d, .batch = batch, .cb = cb, .ud = ud};

    if (payload == NULL && len > 0)
        return SVC_EPARSE;
    int rc = walk_payload(&w, payload, len);
    if (rc < 0)
        return rc;
    reserve(d, w.max_blocks, w.max_tokens);
    w.fill = true;
    rc = walk_payload(&w, payload, len);
    SVC_ASSERT(rc == 0); /* the same bytes validated a moment ago */
    return 0;
}
