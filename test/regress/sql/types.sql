--
-- The numeric mapping: int2, int4, bool -> i32; int8 -> i64; float4 -> f32;
-- float8 -> f64; RETURNS void for exports without a result. Exact at the
-- extremes. (The numbers module is test/guests/numbers.wat; num_* are its
-- exports.)
--
SELECT wasm.load_module('numbers', guest('numbers.wasm')) IS NOT NULL AS loaded;
SELECT count(*) AS functions FROM wasm.create_functions('numbers', 'num');

-- Integers at their extremes.
SELECT num_id_i32(-2147483648), num_id_i32(2147483647), num_id_i32(0);
SELECT num_id_i64(-9223372036854775808), num_id_i64(9223372036854775807);
SELECT num_add_i64(9223372036854775807, 1);  -- Wasm arithmetic wraps

-- int2 travels as i32; a result that does not fit int2 is an error.
CREATE FUNCTION id_int2(int2) RETURNS int2 LANGUAGE wasm AS 'numbers::id_i32';
CREATE FUNCTION widen_int2(int2) RETURNS int2 LANGUAGE wasm AS 'numbers::widen';
SELECT id_int2((-32768)::int2), id_int2(32767::int2), widen_int2(32::int2);
SELECT widen_int2(33::int2);
SELECT sqlstate_of('SELECT widen_int2((-33)::int2)');

-- bool travels as i32: true is 1, and any nonzero result is true.
CREATE FUNCTION not_bool(bool) RETURNS bool LANGUAGE wasm AS 'numbers::not';
CREATE FUNCTION int_to_bool(int4) RETURNS bool LANGUAGE wasm AS 'numbers::id_i32';
CREATE FUNCTION bool_to_int(bool) RETURNS int4 LANGUAGE wasm AS 'numbers::id_i32';
SELECT not_bool(true), not_bool(false), int_to_bool(0), int_to_bool(-5), bool_to_int(true), bool_to_int(false);

-- Floats keep their bits: signed zero, infinities, and NaN payloads, even
-- signalling ones (which a JavaScript number would lose).
SELECT num_id_f64('Infinity'), num_id_f64('-Infinity'), num_id_f64('NaN'), num_id_f64(1e308);
SELECT num_id_f32('Infinity'), num_id_f32('-Infinity'), num_id_f32('NaN'), num_id_f32(3.4e38);
SELECT num_f64_bits(num_id_f64('-0')) = -9223372036854775808 AS f64_negative_zero,
       num_f32_bits(num_id_f32('-0')) = -2147483648 AS f32_negative_zero;
SELECT num_neg_f64(0) AS "-0", num_neg_f64('-Infinity');
-- A signalling f64 NaN with payload 0x123, and a negative quiet one.
SELECT to_hex(num_f64_bits(num_id_f64(num_f64_from_bits(x'7ff0000000000123'::int8)))) AS snan64,
       to_hex(num_f64_bits(num_id_f64(num_f64_from_bits(x'fff8000000000001'::int8)))) AS neg_qnan64;
-- The same for f32: signalling payload 0x200001, and a negative quiet NaN.
SELECT to_hex(num_f32_bits(num_id_f32(num_f32_from_bits(x'7fa00001'::int4)))) AS snan32,
       to_hex(num_f32_bits(num_id_f32(num_f32_from_bits(x'ffc00001'::int4)))) AS neg_qnan32;
-- The smallest subnormals.
SELECT num_f64_bits(num_id_f64(num_f64_from_bits(1))) AS f64_subnormal,
       num_f32_bits(num_id_f32(num_f32_from_bits(1))) AS f32_subnormal;

-- Several types at once.
SELECT num_mixed(-2147483648, 9007199254740993, 0.5, -0.25);

-- A NULL argument gives a NULL result, STRICT or not.
SELECT num_add_i64(NULL, 1) IS NULL AS strict_null;
CREATE FUNCTION lenient_add(int8, int8) RETURNS int8 CALLED ON NULL INPUT LANGUAGE wasm AS 'numbers::add_i64';
SELECT lenient_add(NULL, 1) IS NULL AS lenient_null, lenient_add(1, NULL) IS NULL AS lenient_null2, lenient_add(1, 2);

-- RETURNS void.
SELECT num_nothing();
SELECT pg_typeof(num_nothing());

-- Over many rows, mixed with NULLs.
SELECT count(*) AS calls, count(r) AS non_null, sum(r) AS total
FROM (SELECT lenient_add(CASE WHEN i % 10 = 0 THEN NULL ELSE i END, i) AS r
      FROM generate_series(1, 100000) i) s;

SET client_min_messages = warning;
SELECT wasm.drop_module('numbers', cascade => true);
RESET client_min_messages;
