# INTERFACE target carrying the house warning set (STYLE.md section 9).
add_library(svc_warnings INTERFACE)
target_compile_options(svc_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes -Wvla
  -Wpointer-arith -Wcast-qual -Wundef -Wimplicit-fallthrough)
if(SVC_WERROR)
  target_compile_options(svc_warnings INTERFACE -Werror)
endif()
