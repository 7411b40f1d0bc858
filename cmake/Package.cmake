# A Debian package of the whole suite: "cpack -G DEB" in the build
# directory.  Installs under /usr (programs in /usr/bin and /usr/sbin), units
# in the systemd unit directory, default configurations in /etc/labnet as
# conffiles (dpkg keeps an administrator's edits on upgrade and asks), and
# man pages.  The maintainer scripts only reload systemd and stop the
# services on removal: nothing is enabled or started on install, since a
# DHCP or DNS server must not appear on a network unasked.
# Depends: computed by dpkg-shlibdeps (package dpkg-dev) when present.

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "labnet")
set(CPACK_PACKAGE_VENDOR "labnet")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "small hardened network daemons for a lab: DHCP, recursive DNS, static HTTP")
set(CPACK_PACKAGE_DESCRIPTION
    "labnet-dhcpd, labnet-dnsd and labnet-httpd with their clients labnet-dhcp,
labnet-dig and labnet-fetch, written in C on libuv.  The daemons run as
hardened, socket-activated systemd services (not enabled on install).")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "labnet maintainers <labnet@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_STRIP_FILES ON)
# Only what is installed goes in: the package is built from install rules.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

find_program(LABNET_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(LABNET_DPKG_SHLIBDEPS)
    set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
    message(STATUS "dpkg-shlibdeps not found (Debian package dpkg-dev): "
        "the .deb will be built with a fixed Depends list")
    set(CPACK_DEBIAN_PACKAGE_DEPENDS
        "libc6, libuv1, libc-ares2, libinih1, libsystemd0, libsqlite3-0, libssl3")
endif()
# The units use /bin/kill for ExecReload=; systemd itself is what runs them.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")

# conffiles: every default configuration under /etc/labnet.
set(_deb_dir ${CMAKE_BINARY_DIR}/deb-control)
set(_conffiles "")
foreach(f ${LABNET_CONF_FILES})
    get_filename_component(n ${f} NAME)
    string(APPEND _conffiles "${LABNET_CONFDIR}/${n}\n")
endforeach()
file(WRITE ${_deb_dir}/conffiles "${_conffiles}")
foreach(s postinst prerm postrm)
    configure_file(${CMAKE_SOURCE_DIR}/cmake/deb/${s} ${_deb_dir}/${s} @ONLY
        FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
        WORLD_READ WORLD_EXECUTE)
endforeach()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${_deb_dir}/conffiles;${_deb_dir}/postinst;${_deb_dir}/prerm;${_deb_dir}/postrm")

include(CPack)
