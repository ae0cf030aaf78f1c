/* --allow-hosts: CIDR ranges and names, and the default link-local block. Addresses are
 * compared as 16 bytes (IPv4 as IPv4-mapped IPv6), so "::ffff:169.254.169.254" cannot slip past
 * a rule written for 169.254.0.0/16; inet_aton's forms ("2852039166", "0xa9.254.169.254"),
 * which HTTP clients accept as addresses, count as addresses too. Depends on libc, common/err
 * and common/xalloc. */
#include "allow.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "xalloc.h"

#define NAME_MAX_LEN 253

struct rule {
    bool is_name;
    uint8_t addr[16];
    int prefix; /* in bits of the 16-byte form */
    char *name;
};

struct reg_allow {
    struct rule *rules;
    size_t n;
    bool deny_link_local; /* the default policy */
};

/* `text` as a 16-byte address (IPv4 mapped). false when it is not an address. */
static bool parse_addr(const char *text, uint8_t out[16])
{
    struct in_addr v4;

    if (inet_pton(AF_INET6, text, out) == 1)
        return true;
    if (inet_pton(AF_INET, text, &v4) != 1 && inet_aton(text, &v4) == 0)
        return false;
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy(out + 12, &v4, 4);
    return true;
}

static bool in_range(const uint8_t a[16], const uint8_t net[16], int prefix)
{
    int full = prefix / 8, rest = prefix % 8;

    if (memcmp(a, net, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (net[full] & mask);
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > NAME_MAX_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

/* One entry (NUL-terminated, trimmed). 0, or SVC_EBADCONFIG with err set. */
static int parse_rule(char *entry, struct rule *r, struct err_msg *err)
{
    char *slash = strchr(entry, '/');
    long bits = -1;

    memset(r, 0, sizeof(*r));
    if (slash != NULL) {
        char *end;
        *slash = '\0';
        bits = strtol(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end != '\0' || bits < 0 || bits > 128) {
            err_set(err, 0, 0, "--allow-hosts: bad prefix length in '%s/%s'", entry, slash + 1);
            return SVC_EBADCONFIG;
        }
    }
    bool v6 = strchr(entry, ':') != NULL;
    if (parse_addr(entry, r->addr)) {
        int max = v6 ? 128 : 32;
        if (bits > max) {
            err_set(err, 0, 0, "--allow-hosts: prefix /%ld too long for %s", bits, entry);
            return SVC_EBADCONFIG;
        }
        r->prefix = (bits < 0 ? max : (int)bits) + (v6 ? 0 : 96);
        return 0;
    }
    if (slash != NULL || !valid_name(entry)) {
        err_set(err, 0, 0, "--allow-hosts: '%s' is neither an address, a CIDR range nor a name",
                entry);
        return SVC_EBADCONFIG;
    }
    r->is_name = true;
    r->name = xstrdup(entry);
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

struct reg_allow *reg_allow_parse(const char *spec, struct err_msg *err)
{
    struct reg_allow *a = xcalloc(1, sizeof(*a));
    char *copy = xstrdup(spec != NULL ? spec : "");
    char *save = NULL;

    a->deny_link_local = true;
    for (char *p = copy, *tok; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL) {
        char *entry = trim(tok);
        if (*entry == '\0')
            continue;
        a->rules = xrealloc(a->rules, (a->n + 1) * sizeof(*a->rules));
        if (parse_rule(entry, &a->rules[a->n], err) < 0) {
            free(copy);
            reg_allow_free(a);
            return NULL;
        }
        a->n++;
        a->deny_link_local = false;
    }
    free(copy);
    return a;
}

void reg_allow_free(struct reg_allow *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->n; i++)
        free(a->rules[i].name);
    free(a->rules);
    free(a);
}

static bool is_link_local(const uint8_t a[16])
{
    static const uint8_t v4ll[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 169, 254, 0, 0};
    static const uint8_t v6ll[16] = {0xfe, 0x80};

    return in_range(a, v4ll, 96 + 16) || in_range(a, v6ll, 10);
}

bool reg_allow_is_listed(const struct reg_allow *a)
{
    return a != NULL && !a->deny_link_local;
}

bool reg_allow_host(const struct reg_allow *a, const char *host)
{
    char bare[NAME_MAX_LEN + 3];
    uint8_t addr[16];
    size_t n = strlen(host);

    if (n == 0 || n > NAME_MAX_LEN)
        return false;
    /* "[::1]" as in a URL authority. */
    if (host[0] == '[' && n >= 2 && host[n - 1] == ']') {
        memcpy(bare, host + 1, n - 2);
        bare[n - 2] = '\0';
    } else {
        memcpy(bare, host, n + 1);
    }
    bool is_addr = parse_addr(bare, addr);
    if (a == NULL || a->deny_link_local)
        return !is_addr || !is_link_local(addr);
    for (size_t i = 0; i < a->n; i++) {
        const struct rule *r = &a->rules[i];
        if (r->is_name ? !is_addr && strcasecmp(r->name, bare) == 0
                       : is_addr && in_range(addr, r->addr, r->prefix))
            return true;
    }
    return false;
}
