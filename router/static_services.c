/* Static instance list. Depends on common/json, router/services. */
#include "static_services.h"

#include "buf.h"
#include "err.h"
#include "json.h"
#include "services.h"

static const cJSON *find_list(const cJSON *root)
{
    const cJSON *inner = json_get_object(root, "static_services");

    if (cJSON_IsArray(root))
        return root;
    if (inner != NULL && json_get_array(inner, "services") != NULL)
        return json_get_array(inner, "services");
    return json_get_array(root, "services");
}

int rt_static_services_parse(struct rt_services *s, const char *data, size_t len,
                             struct err_msg *err)
{
    cJSON *root = json_parse(data, len, err);
    const cJSON *list = find_list(root);
    int count = 0, rc = 0;

    if (root == NULL)
        return SVC_EPARSE;
    if (list == NULL) {
        err_set(err, 0, 0,
                "expected an array of services, {\"services\":[...]} or "
                "{\"static_services\":{\"services\":[...]}}");
        rc = SVC_EPARSE;
        goto out;
    }
    for (const cJSON *item = list->child; item != NULL; item = item->next, count++) {
        long long port = 0, weight = 1;
        struct rt_instance_desc d = {
            .name = json_get_string(item, "name"),
            .host = json_get_string(item, "host"),
            .url = json_get_string(item, "url"),
            .metadata = json_get_object(item, "metadata"),
            .registry_healthy = true,
            .source = RT_SOURCE_STATIC_FILE,
        };
        if (d.name == NULL || d.name[0] == '\0' || d.host == NULL ||
            !json_get_int(item, "port", 1, 65535, &port) ||
            (cJSON_GetObjectItemCaseSensitive(item, "weight") != NULL &&
             !json_get_int(item, "weight", 0, 1000000, &weight))) {
            err_set(err, 0, 0,
                    "service #%d: needs string name and host, port 1..65535 and an "
                    "optional integer weight",
                    count + 1);
            rc = SVC_EPARSE;
            goto out;
        }
        d.port = (int)port;
        d.weight = (unsigned)weight;
        rt_services_upsert(s, &d);
    }
    rc = count;
out:
    cJSON_Delete(root);
    return rc;
}

int rt_static_services_load(struct rt_services *s, const char *path, struct err_msg *err)
{
    struct buf b;
    struct err_msg inner = {0};

    buf_init(&b, 16u << 20);
    int rc = buf_read_file(&b, path);
    if (rc < 0) {
        err_set(err, 0, 0, "%s: %s", path, err_str(rc));
        buf_free(&b);
        return rc;
    }
    rc = rt_static_services_parse(s, b.data != NULL ? b.data : "", b.len, &inner);
    if (rc < 0)
        err_set(err, 0, 0, "%s: %s", path, inner.msg);
    buf_free(&b);
    return rc;
}
