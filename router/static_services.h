/* The --static-services file: instances listed once at startup, never removed by discovery.
 * Accepted shapes (the reference's): a bare array, {"services":[...]}, or
 * {"static_services":{"services":[...]}}; each item needs name, host and port, and may carry
 * url, weight and metadata. Depends on common/json, router/services. */
#ifndef SVC_ROUTER_STATIC_SERVICES_H
#define SVC_ROUTER_STATIC_SERVICES_H

#include <stddef.h>

struct rt_services;
struct err_msg;

/* Loads `path` into the table (startup only: blocking read). Returns the number of instances
 * added, or a negative code with `err` naming the file and the problem. */
int rt_static_services_load(struct rt_services *s, const char *path, struct err_msg *err);
/* Same from a buffer (for tests). */
int rt_static_services_parse(struct rt_services *s, const char *data, size_t len,
                             struct err_msg *err);

#endif
