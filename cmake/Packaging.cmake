# Install rules and the Debian package (packaging/README.md).
#
#   cmake --install build/release --prefix /usr    the package's layout:
#       /usr/bin/mdgate
#       /usr/lib/systemd/system/mdgate.service
#       /etc/mdgate/mdgate.toml
#       /usr/share/doc/mdgate/{README.md,docs/,examples/}
#   cmake --install build/release                  the same under /usr/local, the config in
#                                                  /usr/local/etc/mdgate (GNUInstallDirs' rule)
#   cd build/release && cpack -G DEB               mdgate_<version>_<arch>.deb and the
#                                                  -dbgsym package with the debug info
#
# The unit file in packaging/ names /usr/bin/mdgate and /etc/mdgate; installing under another
# prefix rewrites those paths in the installed copy, so the unit always runs the binary and
# reads the config that the same install put in place.
include(GNUInstallDirs)

install(TARGETS mdgate RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
install(FILES packaging/README.md packaging/alerts.yml packaging/prometheus.yml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The config directory follows GNUInstallDirs at install time (the prefix can change then, and
# CPack installs with prefix /usr): /etc for the prefixes / and /usr, <prefix>/etc otherwise.
# The unit is rewritten for the binary and config paths of this install.
set(mdg_unit_source ${PROJECT_SOURCE_DIR}/packaging/mdgate.service)
set(mdg_config_source ${PROJECT_SOURCE_DIR}/packaging/mdgate.toml)
set(mdg_unit_staged ${PROJECT_BINARY_DIR}/packaging/mdgate.service)
set(mdg_docdir ${CMAKE_INSTALL_DOCDIR})
set(mdg_bindir ${CMAKE_INSTALL_BINDIR})
install(CODE "
    set(mdg_prefix \"\${CMAKE_INSTALL_PREFIX}\")
    if(mdg_prefix STREQUAL \"/\" OR mdg_prefix STREQUAL \"/usr\")
        set(mdg_etc /etc)
    else()
        set(mdg_etc \"\${mdg_prefix}/etc\")
    endif()
    string(REGEX REPLACE \"/\$\" \"\" mdg_root \"\${mdg_prefix}\")
    file(READ \"${mdg_unit_source}\" mdg_unit)
    string(REPLACE \"/usr/bin/mdgate \" \"\${mdg_root}/${mdg_bindir}/mdgate \" mdg_unit \"\${mdg_unit}\")
    string(REPLACE \"/etc/mdgate/\" \"\${mdg_etc}/mdgate/\" mdg_unit \"\${mdg_unit}\")
    string(REPLACE \"file:///usr/share/doc/mdgate/\" \"file://\${mdg_root}/${mdg_docdir}/\"
           mdg_unit \"\${mdg_unit}\")
    file(WRITE \"${mdg_unit_staged}\" \"\${mdg_unit}\")
    file(INSTALL DESTINATION \"\${mdg_root}/lib/systemd/system\" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES \"${mdg_unit_staged}\")
    # An existing config (a manual install over an edited file) is kept; the shipped one is
    # put next to it as mdgate.toml.dist. The .deb's conffile handling does this for packages.
    # (file(INSTALL) adds DESTDIR itself.)
    set(mdg_config_dir \"\${mdg_etc}/mdgate\")
    set(mdg_config_name mdgate.toml)
    if(EXISTS \"\$ENV{DESTDIR}\${mdg_config_dir}/mdgate.toml\")
        file(READ \"\$ENV{DESTDIR}\${mdg_config_dir}/mdgate.toml\" mdg_old)
        file(READ \"${mdg_config_source}\" mdg_new)
        if(NOT mdg_old STREQUAL mdg_new)
            set(mdg_config_name mdgate.toml.dist)
            message(STATUS \"Kept: \$ENV{DESTDIR}\${mdg_config_dir}/mdgate.toml (edited; the default is mdgate.toml.dist)\")
        endif()
    endif()
    file(INSTALL DESTINATION \"\${mdg_config_dir}\" TYPE FILE RENAME \"\${mdg_config_name}\"
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES \"${mdg_config_source}\")
")

# CPack: one .deb for Debian 12 (`make package`). The maintainer scripts are
# packaging/debian/{postinst,prerm,postrm} and /etc/mdgate/mdgate.toml is a conffile.
# Only for the top-level project: a project that adds mdgate as a subdirectory packages itself.
if(NOT PROJECT_IS_TOP_LEVEL)
    return()
endif()
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mdgate)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "crypto market-data gateway (Bybit v5 feeds to books, API, metrics)")
set(CPACK_PACKAGE_CONTACT "mdgate maintainers")
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR})
# Install with DESTDIR and the real prefix, so the install code above sees /usr and puts the
# config in /etc.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "mdgate keeps order books, trades, tickers and klines of exchange WebSocket feeds,\n\
serves them over HTTP and a WebSocket stream, and exports Prometheus metrics.\n\
Runs as the systemd service mdgate.service under the system user mdgate.")
# Depends: the shared libraries the binary links (dpkg-shlibdeps, from dpkg-dev), adduser for
# postinst, and the CA store for wss:// and https://.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, ca-certificates")
# Strip the binary; its debug info goes into mdgate-dbgsym_<version>_<arch>.ddeb
# (/usr/lib/debug/.build-id/...), which gdb finds by build id.
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
include(CPack)
