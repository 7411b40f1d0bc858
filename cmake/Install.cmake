# Installation layout beyond the programs themselves (each program's own
# CMakeLists.txt installs it into bin/ or sbin/):
#
#   <unitdir>/labnet-*.service, *.socket   systemd units, ExecStart= naming
#                                          <prefix>/sbin as installed
#   /etc/labnet/*.conf                     default configurations (conf/*.conf)
#   <prefix>/share/man/manN/*.N            manual pages (man/*.[1-8])
#   /var/www/html                          httpd.conf's document root (empty)
#
# Honours DESTDIR and --prefix: the units are written at install time, so a
# "cmake --install . --prefix /usr" (and CPack, which installs with its own
# prefix) gets ExecStart= lines that name where the programs really went.
# <unitdir> is pkg-config's systemdsystemunitdir when systemd.pc is there
# (/lib/systemd/system on Debian), else <prefix>/lib/systemd/system;
# -DLABNET_SYSTEMD_UNITDIR=DIR overrides both.

set(LABNET_CONFDIR "/etc/labnet" CACHE PATH "Where the default configurations are installed")
set(LABNET_WWWDIR "/var/www/html" CACHE PATH "Document root named by the default httpd.conf")

if(NOT DEFINED LABNET_SYSTEMD_UNITDIR)
    set(_unitdir "")
    if(PKG_CONFIG_FOUND)
        pkg_get_variable(_unitdir systemd systemdsystemunitdir)
    endif()
    if(NOT _unitdir)
        # Relative: follows the install prefix.
        set(_unitdir "lib/systemd/system")
    endif()
    set(LABNET_SYSTEMD_UNITDIR "${_unitdir}" CACHE STRING
        "Where systemd units are installed (relative paths follow the prefix)")
endif()

# Units: systemd/*.in configured at install time with the prefix then in
# force, each install in a folder of its own (named by prefix and DESTDIR), so
# concurrent installs with different prefixes never mix.  A daemon's units
# are installed whether or not the daemon is built in this tree, so a
# package always carries the whole suite's units; a unit whose program is
# missing only fails when started.
file(GLOB _unit_templates CONFIGURE_DEPENDS
    ${CMAKE_SOURCE_DIR}/systemd/*.service.in ${CMAKE_SOURCE_DIR}/systemd/*.socket.in)
if(IS_ABSOLUTE "${LABNET_SYSTEMD_UNITDIR}")
    set(_unit_dest "${LABNET_SYSTEMD_UNITDIR}")
else()
    set(_unit_dest "\${CMAKE_INSTALL_PREFIX}/${LABNET_SYSTEMD_UNITDIR}")
endif()
install(CODE "
    set(SBINDIR \"\${CMAKE_INSTALL_PREFIX}/sbin\")
    set(BINDIR \"\${CMAKE_INSTALL_PREFIX}/bin\")
    set(CONFDIR \"${LABNET_CONFDIR}\")
    string(MD5 _h \"\$ENV{DESTDIR}|\${CMAKE_INSTALL_PREFIX}\")
    set(_out \"${CMAKE_BINARY_DIR}/systemd/\${_h}\")
    set(_units \"\")
    foreach(t ${_unit_templates})
        get_filename_component(n \${t} NAME)
        string(REGEX REPLACE \"\\\\.in$\" \"\" n \${n})
        configure_file(\${t} \${_out}/\${n} @ONLY)
        list(APPEND _units \${_out}/\${n})
    endforeach()
    file(INSTALL DESTINATION \"${_unit_dest}\" TYPE FILE
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES \${_units})
")

# Default configurations: every conf/*.conf, so each daemon's file is
# picked up as it lands.  The Debian package marks them as conffiles.
file(GLOB LABNET_CONF_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/conf/*.conf)
install(FILES ${LABNET_CONF_FILES} DESTINATION ${LABNET_CONFDIR})
install(DIRECTORY DESTINATION ${LABNET_WWWDIR})

# Manual pages: man/NAME.N into share/man/manN.
file(GLOB _man_pages CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/man/*.[1-8])
foreach(p ${_man_pages})
    string(REGEX MATCH "[1-8]$" _sec ${p})
    install(FILES ${p} DESTINATION share/man/man${_sec})
endforeach()
