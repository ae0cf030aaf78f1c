# Installation layout and the Debian package. `cmake --install <build> --prefix /usr` (or with
# DESTDIR) lays out:
#   bin/                         infini-registry, infini-router, infini-babysitter, infini-mock,
#                                infini-bench (infini-mock beside infini-babysitter, where the
#                                babysitter looks for it first)
#   lib/systemd/system/          infini-registry.service, infini-router.service,
#                                infini-babysitter@.service, their ExecStart pointing at bin/
#   share/doc/infini-svc/        README.md, docs/*.md; examples/: babysitter TOML files and
#                                the units' environment files
#   share/infini-svc/observability/  Prometheus scrape config and rules, Grafana dashboard
# `cpack -G DEB` (in the build directory) builds infini-svc_<version>_<arch>.deb with prefix /usr;
# its Depends come from dpkg-shlibdeps (the libraries the binaries link) when dpkg-dev is
# installed, else from the list below. On Debian 12, libllhttp9.2 comes from Debian 13 (see
# scripts/install-deps.sh).
include(GNUInstallDirs)

set(SVC_DOCDIR ${CMAKE_INSTALL_DATADIR}/doc/infini-svc)
set(SVC_UNITDIR lib/systemd/system)

install(TARGETS infini-registry infini-router infini-babysitter infini-mock infini-bench
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES README.md docs/architecture.md docs/bench.md docs/config.md docs/http-api.md
  docs/operations.md DESTINATION ${SVC_DOCDIR})
install(FILES
  deployment/cases/cache-routing-validation/config/master-mock.toml
  deployment/cases/cache-routing-validation/config/master.toml
  deployment/systemd/registry.env.example deployment/systemd/router.env.example
  deployment/systemd/babysitter.env.example
  DESTINATION ${SVC_DOCDIR}/examples)
install(DIRECTORY deployment/observability/ DESTINATION ${CMAKE_INSTALL_DATADIR}/infini-svc/observability)
# The units name /usr/bin; install_units.cmake rewrites that to the prefix being installed to
# (the --prefix of `cmake --install`, /usr for the package), so that they run from any prefix.
install(CODE "set(SVC_UNIT_SOURCES \"${CMAKE_SOURCE_DIR}/deployment/systemd\")
  set(SVC_UNITDIR \"${SVC_UNITDIR}\")
  set(SVC_BINDIR \"${CMAKE_INSTALL_BINDIR}\")")
install(SCRIPT cmake/install_units.cmake)

set(CPACK_PACKAGE_NAME infini-svc)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR infini-svc)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Control plane for LLM inference servers: registry, router, babysitter")
set(CPACK_PACKAGE_DESCRIPTION
  "infini-registry keeps the fleet's records, infini-router routes OpenAI-compatible requests \
by model, prompt_cache_key, prefix cache and load, and infini-babysitter runs, probes and \
registers one model server. With infini-mock (a simulated model server) and infini-bench.")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "infini-svc maintainers")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
find_program(SVC_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(SVC_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libc6, libuv1, libllhttp9.2, libcjson1, libzmq5, libcurl4")
endif()
include(CPack)
