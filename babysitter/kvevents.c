/* KV event flags and their advertisement for the vllm and mock backends. Depends on libc,
 * common/ (buf, json, xalloc) and babysitter/config. */
#include "kvevents.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "json.h"
#include "xalloc.h"

#define DEFAULT_BLOCK_SIZE 16

/* The value of `--name value` or `--name=value` in args (borrowed), or NULL. */
static const char *arg_value(char *const *args, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
        if (strcmp(args[i], name) == 0)
            return args[i + 1];
        if (strncmp(args[i], name, n) == 0 && args[i][n] == '=')
            return args[i] + n + 1;
    }
    return NULL;
}

static long arg_int(char *const *args, const char *name, long def)
{
    const char *v = arg_value(args, name);
    char *end;

    if (v == NULL)
        return def;
    long x = strtol(v, &end, 10);
    return end != v && *end == '\0' && x > 0 && x <= 65535 ? x : def;
}

/* A wildcard host (`*`, 0.0.0.0, [::]) becomes the record's host: routers connect there. */
static char *advertised(const char *endpoint, const char *host)
{
    static const char *const wild[] = {"tcp://*:", "tcp://0.0.0.0:", "tcp://[::]:", NULL};
    struct buf b;

    buf_init(&b, BUF_UNLIMITED);
    for (size_t i = 0; wild[i] != NULL; i++) {
        size_t n = strlen(wild[i]);
        if (strncmp(endpoint, wild[i], n) == 0) {
            buf_appendf(&b, strchr(host, ':') != NULL ? "tcp://[%s]:%s" : "tcp://%s:%s", host,
                        endpoint + n);
            return buf_take(&b, NULL);
        }
    }
    buf_append_str(&b, endpoint);
    return buf_take(&b, NULL);
}

static cJSON *meta_new(const struct bs_config *cfg, const char *endpoint, const char *replay,
                       const char *topic, long block_size)
{
    cJSON *m = json_new_object();
    char *ep = advertised(endpoint, cfg->host);

    json_set_string(m, "endpoint", ep);
    free(ep);
    if (replay != NULL) {
        char *rep = advertised(replay, cfg->host);
        json_set_string(m, "replay_endpoint", rep);
        free(rep);
    }
    json_set_string(m, "topic", topic);
    json_set_number(m, "block_size", (double)block_size);
    return m;
}

static char *port_endpoint(const char *host, int port)
{
    struct buf b;

    buf_init(&b, BUF_UNLIMITED);
    buf_appendf(&b, strchr(host, ':') != NULL ? "tcp://[%s]:%d" : "tcp://%s:%d", host, port);
    return buf_take(&b, NULL);
}

static char *default_topic(const struct bs_config *cfg)
{
    struct buf b;

    buf_init(&b, BUF_UNLIMITED);
    buf_appendf(&b, "kv@%s", cfg->name);
    return buf_take(&b, NULL);
}

static char **strv2(const char *a, const char *b, const char *c, const char *d)
{
    char **v = xcalloc(5, sizeof(*v));
    const char *items[] = {a, b, c, d};

    for (size_t i = 0; i < 4 && items[i] != NULL; i++)
        v[i] = xstrdup(items[i]);
    return v;
}

/* vLLM: the user's --kv-events-config, or ours. */
static char **vllm_args(const struct bs_config *cfg, int port, int replay_port, cJSON **meta)
{
    long bs = arg_int(cfg->args, "--block-size", DEFAULT_BLOCK_SIZE);
    const char *given = arg_value(cfg->args, "--kv-events-config");
    char *topic = default_topic(cfg);

    if (given != NULL) {
        cJSON *c = json_parse(given, strlen(given), NULL);
        bool on = false;
        const char *pub = json_get_string(c, "publisher");
        if (json_get_bool(c, "enable_kv_cache_events", &on) && on &&
            (pub == NULL || strcmp(pub, "zmq") == 0)) {
            const char *ep = json_get_string(c, "endpoint");
            const char *t = json_get_string(c, "topic");
            *meta = meta_new(cfg, ep != NULL ? ep : "tcp://*:5557",
                             json_get_string(c, "replay_endpoint"), t != NULL ? t : "", bs);
        }
        cJSON_Delete(c);
        free(topic);
        return NULL;
    }
    cJSON *c = json_new_object();
    char ep[64], rep[64];
    snprintf(ep, sizeof(ep), "tcp://*:%d", port);
    snprintf(rep, sizeof(rep), "tcp://*:%d", replay_port);
    json_set_bool(c, "enable_kv_cache_events", true);
    json_set_string(c, "publisher", "zmq");
    json_set_string(c, "endpoint", ep);
    json_set_string(c, "replay_endpoint", rep);
    json_set_string(c, "topic", topic);
    char *text = json_print_str(c);
    char **v = strv2("--kv-events-config", text, NULL, NULL);
    *meta = meta_new(cfg, ep, rep, topic, bs);
    free(text);
    cJSON_Delete(c);
    free(topic);
    return v;
}

/* infini-mock: the user's --kv-events, or ours. */
static char **mock_args(const struct bs_config *cfg, int port, int replay_port, cJSON **meta)
{
    long bs = arg_int(cfg->args, "--block-size", DEFAULT_BLOCK_SIZE);
    const char *t = arg_value(cfg->args, "--kv-events-topic");
    char *topic = t != NULL ? xstrdup(t) : default_topic(cfg);
    char **v = NULL;
    long p = arg_int(cfg->args, "--kv-events", 0);

    if (arg_value(cfg->args, "--kv-events") != NULL) {
        if (p > 0) {
            port = (int)p;
            replay_port = (int)arg_int(cfg->args, "--kv-replay-port", p + 1);
        }
    } else {
        char a[16], b[16];
        snprintf(a, sizeof(a), "%d", port);
        snprintf(b, sizeof(b), "%d", replay_port);
        v = strv2("--kv-events", a, "--kv-replay-port", b);
        p = port;
    }
    if (p > 0) {
        char *ep = port_endpoint(cfg->host, port), *rep = port_endpoint(cfg->host, replay_port);
        *meta = meta_new(cfg, ep, rep, topic, bs);
        free(ep);
        free(rep);
    }
    free(topic);
    return v;
}

char **bs_kvevents_args(const struct bs_config *cfg, int port, int replay_port, cJSON **meta)
{
    *meta = NULL;
    if (cfg->backend_type == BS_BACKEND_VLLM)
        return vllm_args(cfg, port, replay_port, meta);
    if (cfg->backend_type == BS_BACKEND_MOCK)
        return mock_args(cfg, port, replay_port, meta);
    return NULL;
}

int bs_kvevents_wanted(const struct bs_config *cfg)
{
    return (cfg->backend_type == BS_BACKEND_VLLM &&
            arg_value(cfg->args, "--kv-events-config") == NULL) ||
           (cfg->backend_type == BS_BACKEND_MOCK && arg_value(cfg->args, "--kv-events") == NULL);
}

static int bind_any(int *fd, int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
    socklen_t len = sizeof(a);

    *fd = socket(AF_INET, SOCK_STREAM, 0);
    if (*fd < 0)
        return -errno;
    if (bind(*fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(*fd, (struct sockaddr *)&a, &len) < 0) {
        int rc = -errno;
        close(*fd);
        return rc;
    }
    *port = ntohs(a.sin_port);
    return 0;
}

int bs_kvevents_free_ports(int *port, int *replay_port)
{
    int a, b;
    int rc = bind_any(&a, port);

    if (rc < 0)
        return rc;
    rc = bind_any(&b, replay_port); /* `a` still holds its port: the two differ */
    close(a);
    if (rc == 0)
        close(b);
    return rc;
}

char **bs_kvevents_append(char **argv, char **extra)
{
    size_t n = 0, m = 0;

    if (extra == NULL)
        return argv;
    while (argv[n] != NULL)
        n++;
    while (extra[m] != NULL)
        m++;
    argv = xrealloc(argv, (n + m + 1) * sizeof(*argv));
    memcpy(argv + n, extra, (m + 1) * sizeof(*argv));
    free(extra);
    return argv;
}
