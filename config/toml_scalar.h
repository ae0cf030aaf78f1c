/* TOML scalars that are not strings: integers (decimal, 0x, 0o, 0b), floats (incl. inf/nan),
 * booleans and the four date/time forms, validated to the letter of TOML 1.0. Used by the
 * parser in config/ only. Depends on libc and common/{buf,err,xalloc}. */
#ifndef SVC_CONFIG_TOML_SCALAR_H
#define SVC_CONFIG_TOML_SCALAR_H

struct toml_lex;
struct toml_value;

/* Parses the integer, float, boolean or date/time at the cursor and advances past it. Fills the
 * type and payload of `out` (a date/time string is owned by `out`), not its position.
 * 0, or SVC_EPARSE with the error recorded in `lx`. */
int toml_scalar_parse(struct toml_lex *lx, struct toml_value *out);

#endif
