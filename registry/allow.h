/* Which hosts a registration may name (--allow-hosts): a list of IPv4/IPv6 CIDR ranges (a bare
 * address means /32 or /128) and exact host names, matched against the record's `host` and the
 * host of its `url`, the two addresses the registry probes and routers connect to. Names are
 * compared literally, case-insensitively: the registry never resolves them (no DNS on the
 * loop), so an operator who lists a name vouches for it. Without a list every host is allowed
 * except the link-local ranges (169.254.0.0/16, fe80::/10), where cloud metadata services live
 * and no model server does. Pure; depends on libc and common/err. */
#ifndef SVC_REGISTRY_ALLOW_H
#define SVC_REGISTRY_ALLOW_H

#include <stdbool.h>

struct err_msg;
struct reg_allow;

/* Parses a comma-separated list ("10.0.0.0/8,::1,gpu-7.lab"; spaces around entries ignored).
 * NULL or "" gives the default policy described above. Returns a list freed with
 * reg_allow_free(), or NULL with `err` naming the bad entry. */
struct reg_allow *reg_allow_parse(const char *spec, struct err_msg *err);
/* NULL-safe. */
void reg_allow_free(struct reg_allow *a);

/* Whether an explicit list was given (false for NULL and for the default policy). */
bool reg_allow_is_listed(const struct reg_allow *a);

/* Whether `host` (an IP literal, possibly in brackets, or a name) is allowed by `a` (NULL =
 * the default policy). An empty host never is. */
bool reg_allow_host(const struct reg_allow *a, const char *host);

#endif
