# Install-time step of cmake/packaging.cmake: copies the systemd units into
# <DESTDIR><prefix>/<SVC_UNITDIR>, with ExecStart's /usr/bin replaced by <prefix>/<SVC_BINDIR>.
# Runs inside cmake_install.cmake, where CMAKE_INSTALL_PREFIX is the prefix being installed to.
file(GLOB units "${SVC_UNIT_SOURCES}/*.service")
set(dest "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/${SVC_UNITDIR}")
file(MAKE_DIRECTORY "${dest}")
foreach(unit ${units})
  get_filename_component(name "${unit}" NAME)
  file(READ "${unit}" text)
  string(REPLACE "ExecStart=/usr/bin/" "ExecStart=${CMAKE_INSTALL_PREFIX}/${SVC_BINDIR}/" text
    "${text}")
  message(STATUS "Installing: ${dest}/${name}")
  file(WRITE "${dest}/${name}" "${text}")
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${dest}/${name}")
endforeach()
