-- pg_wasm 0.1.0 -> 0.2.0
\echo Use "ALTER EXTENSION wasm UPDATE TO '0.2.0'" to load this file. \quit

-- A module's owner was a role's name: after DROP ROLE, a new role of the
-- same name owned it. It is the role itself now. Names that no longer
-- name a role become the OID 0, which names none (superusers manage those
-- modules).
CREATE FUNCTION wasm._role_named(name text) RETURNS oid LANGUAGE sql STABLE
    AS $$ SELECT coalesce((SELECT oid FROM pg_catalog.pg_roles WHERE rolname = name), 0) $$;
ALTER TABLE wasm.modules ALTER COLUMN owner DROP DEFAULT;
ALTER TABLE wasm.modules ALTER COLUMN owner TYPE regrole USING wasm._role_named(owner)::regrole;
ALTER TABLE wasm.modules ALTER COLUMN owner SET DEFAULT to_regrole(current_user);
DROP FUNCTION wasm._role_named(text);

-- Drops every Wasm instance of the session (their memory and globals start
-- afresh at the next call) and frees their memory at once.
CREATE FUNCTION wasm.reset_session() RETURNS void
    AS 'MODULE_PATHNAME', 'pg_wasm_reset_session' LANGUAGE C;
