// PostgreSQL's server headers, made safe to include from C++.
//
// Include every C++ standard header before this one: PostgreSQL's port.h
// renames printf-family functions with macros, which we undo at the end.
#pragma once

extern "C" {
#include "postgres.h"  // IWYU pragma: export

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
}

#undef snprintf
#undef vsnprintf
#undef sprintf
#undef vsprintf
#undef fprintf
#undef vfprintf
#undef printf
#undef vprintf
#undef strerror
#undef strerror_r
// c.h's old assertion macro collides with engine::Trap.
#undef Trap
