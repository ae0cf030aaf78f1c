/* The libFuzzer entry point every fuzz target defines (declared here so that -Wmissing-prototypes
 * holds) and that replay_main.c calls under gcc. */
#ifndef SVC_TESTS_FUZZ_H
#define SVC_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
