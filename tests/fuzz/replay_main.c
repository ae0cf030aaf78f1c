/* Replays a fuzz corpus without libFuzzer: every file under the directories (or the files)
 * named on the command line is fed once to LLVMFuzzerTestOneInput. Lets the corpus run as a
 * regression test under gcc in CTest (cJSON's fuzz_main.c idea). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "fuzz.h"

static int replay_file(const char *path)
{
    struct buf b;

    buf_init(&b, 16u << 20);
    int rc = buf_read_file(&b, path);
    if (rc < 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        buf_free(&b);
        return 1;
    }
    /* Copy into an exact-size allocation so ASan catches reads past the end. */
    uint8_t *copy = malloc(b.len ? b.len : 1);
    if (copy == NULL)
        abort();
    if (b.len)
        memcpy(copy, b.data, b.len);
    LLVMFuzzerTestOneInput(copy, b.len);
    free(copy);
    buf_free(&b);
    return 0;
}

static int replay_path(const char *path, int *count)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: no such path %s\n", path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return replay_file(path);
    }
    DIR *d = opendir(path);
    if (d == NULL)
        return 1;
    int failed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char child[4096];
        snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
        failed |= replay_path(child, count);
    }
    closedir(d);
    return failed;
}

int main(int argc, char **argv)
{
    int failed = 0, count = 0;

    for (int i = 1; i < argc; i++)
        failed |= replay_path(argv[i], &count);
    printf("replayed %d inputs\n", count);
    return failed || count == 0;
}
