# INTERFACE target carrying -fsanitize flags when MDG_SANITIZE is set.
add_library(mdg_sanitizers INTERFACE)
if(MDG_SANITIZE)
    target_compile_options(mdg_sanitizers INTERFACE -fsanitize=${MDG_SANITIZE}
                           -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(mdg_sanitizers INTERFACE -fsanitize=${MDG_SANITIZE})
endif()
