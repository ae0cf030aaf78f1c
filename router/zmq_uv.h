/* ZMQ sockets driven by a libuv loop, without ever blocking it: a socket's ZMQ_FD watched with a
 * uv_poll_t (it is edge-triggered: after each wakeup, and after each send or receive, read
 * ZMQ_EVENTS again and receive with ZMQ_DONTWAIT while it says ZMQ_POLLIN), and multipart
 * receives into a bounded set of frames. Depends on libzmq and libuv. */
#ifndef SVC_ROUTER_ZMQ_UV_H
#define SVC_ROUTER_ZMQ_UV_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>
#include <zmq.h>

/* Whether `sock` has a message waiting (ZMQ_EVENTS has ZMQ_POLLIN). */
bool rt_zmq_uv_has_pollin(void *sock);

/* Receives the next message: its first `max` frames into `parts` (the rest are read and
 * discarded). Returns the number of frames, 0 when nothing waits, -1 on error. The caller
 * closes parts[0 .. min(returned, max)) (rt_zmq_uv_close_parts). */
int rt_zmq_uv_recv(void *sock, zmq_msg_t *parts, int max);
void rt_zmq_uv_close_parts(zmq_msg_t *parts, int n, int max);

/* The options every socket here gets: no linger, a receive high-water mark, a message size
 * limit (a larger message is refused by libzmq, never allocated). */
void rt_zmq_uv_set_opts(void *sock, int64_t max_msg_bytes, int rcvhwm);

/* Starts watching `sock`'s ZMQ_FD with `poll` (initialised here; `data` set on it). 0, or a
 * negative libuv code. */
int rt_zmq_uv_watch(uv_loop_t *loop, void *sock, uv_poll_t *poll, uv_poll_cb cb, void *data);

#endif
