/* State-file encoding, validation and atomic writes. Decoding runs in two passes (validate into
 * a scratch store, then fill the real one) so that a bad file leaves the store untouched.
 * Depends on registry/store, registry/record, common/json, common/buf, common/err. */
#include "persist.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "store.h"

int reg_persist_encode(const struct reg_store *s, double now, struct buf *out)
{
    int rc = buf_appendf(out, "{\"format\":\"%s\",\"saved_at\":%.3f,\"services\":[",
                         REG_PERSIST_FORMAT, now);
    size_t i = 0;

    for (const struct reg_record *rec = reg_store_first(s); rec != NULL && rc == 0;
         rec = reg_store_next(rec)) {
        if (i++ > 0)
            rc = buf_putc(out, ',');
        if (rc == 0)
            rc = reg_record_print(rec, now, reg_store_heartbeat_timeout(s), false, out);
    }
    if (rc == 0)
        rc = buf_appendf(out, "],\"version\":%d}\n", REG_PERSIST_VERSION);
    return rc;
}

/* Checks the envelope; returns the services array or NULL with `err` set. */
static const cJSON *check_envelope(const cJSON *root, double *saved_at, struct err_msg *err)
{
    const char *format = json_get_string(root, "format");
    const cJSON *services = json_get_array(root, "services");
    long long version;

    if (!cJSON_IsObject(root)) {
        err_set(err, 0, 0, "not a JSON object");
        return NULL;
    }
    if (format == NULL || strcmp(format, REG_PERSIST_FORMAT) != 0) {
        err_set(err, 0, 0, "not an infini-registry state file (\"format\" is not \"%s\")",
                REG_PERSIST_FORMAT);
        return NULL;
    }
    if (!json_get_int(root, "version", 0, 1000000, &version) || version != REG_PERSIST_VERSION) {
        err_set(err, 0, 0, "unsupported \"version\" (this registry reads version %d)",
                REG_PERSIST_VERSION);
        return NULL;
    }
    if (!json_get_number(root, "saved_at", saved_at) || !isfinite(*saved_at)) {
        err_set(err, 0, 0, "\"saved_at\" is missing or not a number");
        return NULL;
    }
    if (services == NULL)
        err_set(err, 0, 0, "\"services\" is missing or not an array");
    return services;
}

/* Adds every record of `services` to `s`; fails on the first invalid or duplicate record. */
static int add_records(const cJSON *services, struct reg_store *s, double now, double shift,
                       size_t *count, struct err_msg *err)
{
    const cJSON *item;
    struct err_msg why = {0};
    size_t i = 0;

    cJSON_ArrayForEach(item, services)
    {
        struct reg_record *rec = reg_record_from_json(item, REG_RECORD_STATE, now, &why);
        if (rec == NULL) {
            err_set(err, 0, 0, "service #%zu: %s", i + 1, why.msg);
            return SVC_ECORRUPT;
        }
        if (reg_store_get(s, rec->name) != NULL) {
            err_set(err, 0, 0, "service #%zu: duplicate name '%.100s'", i + 1, rec->name);
            reg_record_free(rec);
            return SVC_ECORRUPT;
        }
        rec->last_heartbeat += shift;
        reg_store_put(s, rec);
        i++;
    }
    if (count != NULL)
        *count = i;
    return 0;
}

int reg_persist_decode(const char *data, size_t len, struct reg_store *s, double now, size_t *count,
                       struct err_msg *err)
{
    struct err_msg perr = {0};
    struct reg_store *scratch = NULL;
    double saved_at = 0;
    cJSON *root = json_parse(data, len, &perr);
    int rc = SVC_ECORRUPT;

    if (root == NULL) {
        err_set(err, 0, 0, "not valid JSON: %s", perr.msg);
        goto out;
    }
    const cJSON *services = check_envelope(root, &saved_at, err);
    if (services == NULL)
        goto out;
    /* Downtime does not age the records; a clock that went backwards does not rejuvenate them. */
    double shift = now > saved_at ? floor(now - saved_at) : 0;
    scratch = reg_store_new(1, 1);
    rc = add_records(services, scratch, now, shift, NULL, err);
    if (rc == 0)
        rc = add_records(services, s, now, shift, count, err);
out:
    reg_store_free(scratch);
    cJSON_Delete(root);
    return rc;
}

int reg_persist_load(const char *path, struct reg_store *s, double now, size_t *count,
                     struct err_msg *err)
{
    struct err_msg why = {0};
    struct buf text;
    int rc;

    if (count != NULL)
        *count = 0;
    buf_init(&text, REG_PERSIST_MAX_BYTES);
    rc = buf_read_file(&text, path);
    if (rc == UV_ENOENT) {
        rc = 0;
        goto out;
    }
    if (rc < 0) {
        err_set(err, 0, 0, "state file %s: cannot read: %s", path, err_str(rc));
        goto out;
    }
    rc = reg_persist_decode(text.data, text.len, s, now, count, &why);
    if (rc < 0)
        err_set(err, 0, 0, "state file %s is corrupt: %s", path, why.msg);
out:
    buf_free(&text);
    return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Makes the rename durable. Best effort: some file systems refuse fsync on directories. */
static void sync_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n = slash == NULL ? 1 : (slash == path ? 1 : (size_t)(slash - path));

    if (n >= sizeof(dir))
        return;
    memcpy(dir, slash == NULL ? "." : path, n);
    dir[n] = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int reg_persist_write_file(const char *path, const char *data, size_t len)
{
    char tmp[4096];
    int fd = -1, rc;
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);

    if (n < 0 || (size_t)n >= sizeof(tmp))
        return UV_ENAMETOOLONG;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    rc = write_all(fd, data, len);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc < 0) {
        unlink(tmp);
        return rc;
    }
    sync_dir(path);
    return 0;
}
