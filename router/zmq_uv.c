/* libuv-driven ZMQ sockets. Depends on libzmq and libuv. */
#include "zmq_uv.h"

#include <errno.h>

bool rt_zmq_uv_has_pollin(void *sock)
{
    int events = 0;
    size_t sz = sizeof(events);

    return zmq_getsockopt(sock, ZMQ_EVENTS, &events, &sz) == 0 && (events & ZMQ_POLLIN) != 0;
}

int rt_zmq_uv_recv(void *sock, zmq_msg_t *parts, int max)
{
    int n = 0;

    for (;;) {
        zmq_msg_t spill;
        zmq_msg_t *m = n < max ? &parts[n] : &spill;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, sock, ZMQ_DONTWAIT) < 0) {
            int e = zmq_errno();
            zmq_msg_close(m);
            for (int i = 0; i < n && i < max; i++)
                zmq_msg_close(&parts[i]);
            return n == 0 && e == EAGAIN ? 0 : -1;
        }
        n++;
        bool more = zmq_msg_more(m);
        if (m == &spill)
            zmq_msg_close(&spill);
        if (!more)
            return n;
    }
}

void rt_zmq_uv_close_parts(zmq_msg_t *parts, int n, int max)
{
    for (int i = 0; i < n && i < max; i++)
        zmq_msg_close(&parts[i]);
}

void rt_zmq_uv_set_opts(void *sock, int64_t max_msg_bytes, int rcvhwm)
{
    int zero = 0;
    int64_t maxmsg = max_msg_bytes;

    /* Options on a fresh socket cannot fail but for bad arguments, which these are not. */
    (void)zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof(zero));
    (void)zmq_setsockopt(sock, ZMQ_RCVHWM, &rcvhwm, sizeof(rcvhwm));
    (void)zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
}

int rt_zmq_uv_watch(uv_loop_t *loop, void *sock, uv_poll_t *poll, uv_poll_cb cb, void *data)
{
    int fd;
    size_t sz = sizeof(fd);

    if (zmq_getsockopt(sock, ZMQ_FD, &fd, &sz) < 0)
        return UV_EINVAL;
    int rc = uv_poll_init(loop, poll, fd);
    if (rc < 0)
        return rc;
    poll->data = data;
    return uv_poll_start(poll, UV_READABLE, cb);
}
