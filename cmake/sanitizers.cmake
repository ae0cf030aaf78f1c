# INTERFACE target carrying -fsanitize=... when SVC_SANITIZE is set (e.g. "address,undefined").
add_library(svc_sanitizers INTERFACE)
if(SVC_SANITIZE)
  target_compile_options(svc_sanitizers INTERFACE -fsanitize=${SVC_SANITIZE}
    -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(svc_sanitizers INTERFACE -fsanitize=${SVC_SANITIZE})
endif()
