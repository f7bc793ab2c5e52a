# Locates the PostgreSQL server build environment through pg_config.
# Debian installs one pg_config per major version; prefer version 15's.
find_program(PG_CONFIG pg_config
  HINTS /usr/lib/postgresql/15/bin
  NO_DEFAULT_PATH)
find_program(PG_CONFIG pg_config REQUIRED)

function(pg_config_var out flag)
  execute_process(COMMAND ${PG_CONFIG} ${flag} OUTPUT_VARIABLE v
                  OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
  set(${out} "${v}" PARENT_SCOPE)
endfunction()

pg_config_var(PG_INCLUDEDIR_SERVER --includedir-server)
pg_config_var(PG_PKGLIBDIR --pkglibdir)
pg_config_var(PG_SHAREDIR --sharedir)
pg_config_var(PG_BINDIR --bindir)
pg_config_var(PG_PGXS --pgxs)
pg_config_var(PG_VERSION_STRING --version)
# pgxs.mk lives in <pgxs>/src/makefiles; pg_regress in <pgxs>/src/test/regress.
get_filename_component(PG_PGXS_SRC "${PG_PGXS}/../.." ABSOLUTE)
set(PG_REGRESS "${PG_PGXS_SRC}/test/regress/pg_regress")
message(STATUS "PostgreSQL: ${PG_VERSION_STRING} (${PG_CONFIG})")
