# INTERFACE target carrying -fsanitize=... when SVC_SANITIZE is set (e.g. "address,undefined").
add_library(svc_sanitizers INTERFACE)
if(SVC_SANITIZE)
  target_compile_options(svc_sanitizers INTERFACE -fsanitize=${SVC_SANITIZE}
    -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(svc_sanitizers INTERFACE -fsanitize=${SVC_SANITIZE})
endif()
if(SVC_FUZZ)
  # Instrument every library for coverage so libFuzzer sees inside them, with ASan+UBSan on.
  target_compile_options(svc_sanitizers INTERFACE -fsanitize=fuzzer-no-link,address,undefined
    -fno-omit-frame-pointer)
  target_link_options(svc_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
