/* Unit tests for config/toml: every class of error, each with its exact line:column. */
#include "toml.h"

#include "toml_check.h"

TEST(error_duplicate_key)
{
    EXPECT_ERR("a = 1\nb = 2\na = 3\n", 3, 1, "duplicate key 'a'");
    EXPECT_ERR("\"a\" = 1\n'a' = 2\n", 2, 1, "duplicate key 'a'");
    EXPECT_ERR("\"\\u0041\" = 1\nA = 2\n", 2, 1, "duplicate key 'A'");
    EXPECT_ERR("[t]\nx.y = 1\nx.y = 2\n", 3, 3, "duplicate key 'x.y'");
    EXPECT_ERR("t = { a = 1, b = 2, a = 3 }\n", 1, 21, "duplicate key 'a'");
    EXPECT_ERR("a.b = 1\na = 2\n", 2, 1, "duplicate key 'a'");
}

TEST(error_table_redefined)
{
    EXPECT_ERR("[a]\nx = 1\n[a]\n", 3, 2, "table defined twice 'a'");
    EXPECT_ERR("[a]\n[a.b]\n[ a ]\n", 3, 3, "table defined twice 'a'");
    EXPECT_ERR("[a.b]\n[a.b]\n", 2, 4, "table defined twice 'a.b'");
    EXPECT_ERR("[a]\nb.c = 1\n[a.b]\n", 3, 4, "table already defined by dotted keys 'a.b'");
    EXPECT_ERR("a.b = 1\n[a]\n", 2, 2, "table already defined by dotted keys 'a'");
    EXPECT_ERR("[[a]]\n[a]\n", 2, 2, "cannot define table over array of tables 'a'");
}

TEST(error_key_over_other_type)
{
    EXPECT_ERR("a = 1\n[a]\n", 2, 2, "cannot define table over existing key 'a'");
    EXPECT_ERR("a = 1\n[a.b]\n", 2, 2, "cannot add tables to non-table 'a'");
    EXPECT_ERR("a = 1\n[[a]]\n", 2, 3, "cannot append table to non-array 'a'");
    EXPECT_ERR("[a]\n[[a]]\n", 2, 3, "cannot append table to non-array 'a'");
    EXPECT_ERR("a = \"s\"\na.b = 2\n", 2, 1, "cannot add keys to non-table 'a'");
    EXPECT_ERR("[x]\ny = 1\n[x.y.z]\n", 3, 4, "cannot add tables to non-table 'x.y'");
}

TEST(error_dotted_keys_extend_header_table)
{
    EXPECT_ERR("[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n", 4, 3,
               "cannot add dotted keys to header-defined table 'b.c'");
    EXPECT_ERR("[a.b.c]\n[a]\nb.d = 1\n[a.b]\n", 4, 4,
               "table already defined by dotted keys 'a.b'");
}

TEST(error_extend_inline_table)
{
    EXPECT_ERR("a = { b = 1 }\n[a]\n", 2, 2, "cannot extend inline table 'a'");
    EXPECT_ERR("a = { b = 1 }\n[a.c]\n", 2, 2, "cannot extend inline table 'a'");
    EXPECT_ERR("a = { b = 1 }\na.c = 2\n", 2, 1, "cannot extend inline table 'a'");
    EXPECT_ERR("a = {}\n[[a]]\n", 2, 3, "cannot append table to non-array 'a'");
    EXPECT_ERR("t = { a = { b = 1 }, a.c = 2 }\n", 1, 22, "cannot extend inline table 'a'");
    EXPECT_ERR("[t]\na = {}\n[t.a.b]\n", 3, 4, "cannot extend inline table 't.a'");
}

TEST(error_extend_static_array)
{
    EXPECT_ERR("a = []\n[[a]]\n", 2, 3, "cannot append to static array 'a'");
    EXPECT_ERR("a = [{ b = 1 }]\n[a.c]\n", 2, 2, "cannot add tables to static array 'a'");
    EXPECT_ERR("a = [{ b = 1 }]\n[[a.c]]\n", 2, 3, "cannot add tables to static array 'a'");
}

TEST(error_invalid_utf8)
{
    EXPECT_ERR("s = \"ab\xff\"\n", 1, 8, "invalid UTF-8");
    EXPECT_ERR("s = 'x\xc0\x80'\n", 1, 7, "invalid UTF-8");          /* overlong */
    EXPECT_ERR("s = \"\xed\xa0\x80\"\n", 1, 6, "invalid UTF-8");     /* surrogate */
    EXPECT_ERR("s = \"\xf4\x90\x80\x80\"\n", 1, 6, "invalid UTF-8"); /* > U+10FFFF */
    EXPECT_ERR("s = \"\xe2\x82\"\n", 1, 6, "invalid UTF-8");         /* truncated */
    EXPECT_ERR("a = 1 # \xfe\n", 1, 9, "invalid UTF-8");
    EXPECT_ERR("\"k\xff\" = 1\n", 1, 3, "invalid UTF-8");
    EXPECT_ERR("a = 1\n\xff = 2\n", 2, 1, "invalid UTF-8");
    EXPECT_ERR("s = '''\n\xc3\xa9\xc3'''\n", 2, 2, "invalid UTF-8");
}

TEST(error_control_characters)
{
    EXPECT_ERR("s = \"a\x01\"\n", 1, 7, "control character U+0001 in string");
    EXPECT_ERR("s = 'a\x7f'\n", 1, 7, "control character U+007F in string");
    EXPECT_ERR("s = \"\"\"a\x1b\"\"\"\n", 1, 9, "control character U+001B in string");
    EXPECT_ERR("s = '''\x0c'''\n", 1, 8, "control character U+000C in string");
    EXPECT_ERRN("s = \"a\0\"\n", 1, 7, "control character U+0000 in string");
    EXPECT_ERR("# bell \x07\n", 1, 8, "control character U+0007 in comment");
    EXPECT_ERR("a = 1 # \x7f\n", 1, 9, "control character U+007F in comment");
    EXPECT_ERR("a = 1\x0b\n", 1, 6, "found control character U+000B");
}

TEST(error_bare_cr)
{
    EXPECT_ERR("a = 1\rb = 2\n", 1, 6, "bare carriage return");
    EXPECT_ERR("# comment\r\n# x\ry\n", 2, 4, "bare carriage return");
    EXPECT_ERR("s = \"a\rb\"\n", 1, 7, "bare carriage return");
    EXPECT_ERR("s = \"\"\"a\rb\"\"\"\n", 1, 9, "bare carriage return");
    EXPECT_ERR("a = [1,\r2]\n", 1, 8, "bare carriage return");
    EXPECT_ERR("\r", 1, 1, "bare carriage return");
    EXPECT_ERR("a = \rb\n", 1, 5, "bare carriage return");
}

TEST(error_missing_newline)
{
    EXPECT_ERR("a = 1 b = 2\n", 1, 7, "expected a newline after the value, found 'b'");
    EXPECT_ERR("a = \"x\"y\n", 1, 8, "expected a newline after the value, found 'y'");
    EXPECT_ERR("[t] a = 1\n", 1, 5, "expected a newline after the table header");
    EXPECT_ERR("a = true1\n", 1, 5, "invalid value 'true1'");
    EXPECT_ERR("a = []b = 1\n", 1, 7, "expected a newline after the value");
}

TEST(error_unterminated_string)
{
    EXPECT_ERR("a = \"abc\nb = 1\n", 1, 5, "unterminated string");
    EXPECT_ERR("a = 'abc", 1, 5, "unterminated string");
    EXPECT_ERR("x = 1\na = \"\"\"abc\n\ndef\n", 2, 5, "unterminated multi-line string");
    EXPECT_ERR("a = '''abc''", 1, 5, "unterminated multi-line string");
    EXPECT_ERR("\"key = 1\n", 1, 1, "unterminated string");
    EXPECT_ERR("a = \"abc\\", 1, 9, "incomplete escape sequence");
}

TEST(error_unterminated_array_and_table)
{
    EXPECT_ERR("a = [1, 2\n", 1, 5, "unterminated array");
    EXPECT_ERR("a = [1, [2, 3]", 1, 5, "unterminated array");
    EXPECT_ERR("a = [1, 2\nb = 3\n", 2, 1, "expected ',' or ']', found 'b'");
    EXPECT_ERR("a = { b = 1", 1, 5, "unterminated inline table");
    EXPECT_ERR("a = {", 1, 5, "unterminated inline table");
    EXPECT_ERR("[table\nx = 1\n", 1, 7, "expected ']', found end of line");
    EXPECT_ERR("[[aot]\n", 1, 6, "expected ']]', found ']'");
    EXPECT_ERR("[a", 1, 3, "expected ']', found end of input");
}

TEST(error_invalid_escapes)
{
    EXPECT_ERR("s = \"\\x41\"\n", 1, 6, "invalid escape sequence '\\x'");
    EXPECT_ERR("s = \"ok \\e\"\n", 1, 9, "invalid escape sequence '\\e'");
    EXPECT_ERR("s = \"\\ \"\n", 1, 6, "invalid escape sequence");
    EXPECT_ERR("s = \"\"\"\\a\"\"\"\n", 1, 8, "invalid escape sequence '\\a'");
    EXPECT_ERR("s = \"\"\"x\\  y\"\"\"\n", 1, 9, "invalid escape sequence");
    EXPECT_ERR("s = \"\\u12\"\n", 1, 6, "\\u escape needs 4 hex digits");
    EXPECT_ERR("s = \"\\U0001F60\"\n", 1, 6, "\\U escape needs 8 hex digits");
    EXPECT_ERR("s = \"\\uD800\"\n", 1, 6, "\\uD800 is not a Unicode scalar value");
    EXPECT_ERR("s = \"\\uDFFF\"\n", 1, 6, "not a Unicode scalar value");
    EXPECT_ERR("s = \"\\U00110000\"\n", 1, 6, "\\U00110000 is not a Unicode scalar value");
    EXPECT_ERR("s = \"\\UFFFFFFFF\"\n", 1, 6, "not a Unicode scalar value");
}

TEST(error_integer_syntax)
{
    EXPECT_ERR("i = 01\n", 1, 5, "leading zeros are not allowed");
    EXPECT_ERR("i = -00\n", 1, 6, "leading zeros are not allowed");
    EXPECT_ERR("i = 1__000\n", 1, 6, "'_' must be between two digits");
    EXPECT_ERR("i = 1000_\n", 1, 9, "'_' must be between two digits");
    EXPECT_ERR("i = _1000\n", 1, 5, "invalid value '_1000'");
    EXPECT_ERR("i = 0x_1F\n", 1, 7, "expected a digit");
    EXPECT_ERR("i = +0x1F\n", 1, 5, "cannot have a sign");
    EXPECT_ERR("i = -0b1\n", 1, 5, "cannot have a sign");
    EXPECT_ERR("i = 0XAB\n", 1, 6, "invalid character in number");
    EXPECT_ERR("i = 0o8\n", 1, 7, "expected a digit");
    EXPECT_ERR("i = 0b102\n", 1, 9, "invalid character in integer");
    EXPECT_ERR("i = 0xG\n", 1, 7, "expected a digit");
    EXPECT_ERR("i = 12a\n", 1, 7, "invalid character in number");
    EXPECT_ERR("i = +\n", 1, 6, "expected a digit, found end of number");
    EXPECT_ERR("i = 1 2\n", 1, 7, "expected a newline after the value");
}

TEST(error_integer_overflow)
{
    EXPECT_ERR("i = 9223372036854775808\n", 1, 5, "integer does not fit in 64 bits");
    EXPECT_ERR("x = 0\ni = -9223372036854775809\n", 2, 5, "integer does not fit in 64 bits");
    EXPECT_ERR("i = 0x8000000000000000\n", 1, 5, "integer does not fit in 64 bits");
    EXPECT_ERR("i = 0o1000000000000000000000\n", 1, 5, "does not fit");
    EXPECT_ERR("i = 0b1111111111111111111111111111111111111111111111111111111111111111\n", 1, 5,
               "does not fit");
    EXPECT_ERR("i = 99999999999999999999999999\n", 1, 5, "does not fit");
}

TEST(error_float_syntax)
{
    EXPECT_ERR("f = .7\n", 1, 5, "invalid value '.7'");
    EXPECT_ERR("f = 7.\n", 1, 7, "expected a digit, found end of number");
    EXPECT_ERR("f = 3.e+20\n", 1, 7, "expected a digit");
    EXPECT_ERR("f = 1e\n", 1, 7, "expected a digit, found end of number");
    EXPECT_ERR("f = 1e_5\n", 1, 7, "expected a digit");
    EXPECT_ERR("f = 1.5_\n", 1, 8, "'_' must be between two digits");
    EXPECT_ERR("f = 03.14\n", 1, 5, "leading zeros are not allowed");
    EXPECT_ERR("f = 1.2.3\n", 1, 8, "invalid character in number");
    EXPECT_ERR("f = Inf\n", 1, 5, "invalid value 'Inf'");
    EXPECT_ERR("f = NaN\n", 1, 5, "invalid value 'NaN'");
    EXPECT_ERR("f = infinity\n", 1, 5, "invalid value 'infinity'");
    EXPECT_ERR("f = 1e400\n", 1, 5, "float out of range");
    EXPECT_ERR("f = -1e309\n", 1, 5, "float out of range");
}

TEST(error_invalid_datetime)
{
    EXPECT_ERR("d = 1979-13-27\n", 1, 10, "month out of range");
    EXPECT_ERR("d = 1979-00-27\n", 1, 10, "month out of range");
    EXPECT_ERR("d = 2023-02-29\n", 1, 13, "day out of range");
    EXPECT_ERR("d = 1900-02-29\n", 1, 13, "day out of range");
    EXPECT_ERR("d = 1979-04-31\n", 1, 13, "day out of range");
    EXPECT_ERR("d = 1979-05-27T24:00:00\n", 1, 16, "hour out of range");
    EXPECT_ERR("d = 07:60:00\n", 1, 8, "minute out of range");
    EXPECT_ERR("d = 07:32:61\n", 1, 11, "second out of range");
    EXPECT_ERR("d = 07:32\n", 1, 10, "incomplete date-time");
    EXPECT_ERR("d = 1979-05-27T07:32:00.\n", 1, 25, "incomplete date-time");
    EXPECT_ERR("d = 1979-05-27T07:32:00+07\n", 1, 27, "incomplete date-time");
    EXPECT_ERR("d = 1979-05-27T07:32:00+24:00\n", 1, 25, "offset hour out of range");
    EXPECT_ERR("d = 1979-05-27T07:32:00+07:60\n", 1, 28, "offset minute out of range");
    EXPECT_ERR("d = 1979-5-27\n", 1, 11, "invalid date-time");
    EXPECT_ERR("d = 1979-05-27X07:32:00\n", 1, 15, "invalid date-time");
    EXPECT_ERR("d = 1979-05-27T07:32:00ZZ\n", 1, 25, "invalid date-time");
    EXPECT_ERR("d = 1979-05-27T07:32:00X\n", 1, 24, "invalid date-time");
}

TEST(error_inline_table_syntax)
{
    EXPECT_ERR("t = { a = 1, }\n", 1, 14, "trailing comma in inline table");
    EXPECT_ERR("t = { a = 1,\n b = 2 }\n", 1, 13, "expected a key, found end of line");
    EXPECT_ERR("t = { a = 1\n}\n", 1, 12, "expected ',' or '}', found end of line");
    EXPECT_ERR("t = { a = 1 b = 2 }\n", 1, 13, "expected ',' or '}', found 'b'");
    EXPECT_ERR("t = { , }\n", 1, 7, "expected a key, found ','");
    EXPECT_ERR("t = { a = 1 # c\n}\n", 1, 13, "expected ',' or '}', found '#'");
}

TEST(error_array_syntax)
{
    EXPECT_ERR("a = [1 2]\n", 1, 8, "expected ',' or ']', found '2'");
    EXPECT_ERR("a = [,]\n", 1, 6, "expected a value, found ','");
    EXPECT_ERR("a = [1,,2]\n", 1, 8, "expected a value, found ','");
    EXPECT_ERR("a = [1, ]]\n", 1, 10, "expected a newline after the value, found ']'");
}

TEST(error_bad_keys_and_values)
{
    EXPECT_ERR("= 1\n", 1, 1, "expected a key, found '='");
    EXPECT_ERR("a =\n", 1, 4, "expected a value, found end of line");
    EXPECT_ERR("a = # nothing\n", 1, 5, "expected a value, found '#'");
    EXPECT_ERR("a\n", 1, 2, "expected '=' after the key, found end of line");
    EXPECT_ERR("a b = 1\n", 1, 3, "expected '=' after the key, found 'b'");
    EXPECT_ERR("\xc3\xa9t\xc3\xa9 = 1\n", 1, 1, "expected a key, found '\xc3\xa9'");
    EXPECT_ERR("\"\"\"k\"\"\" = 1\n", 1, 1, "a key cannot be a multi-line string");
    EXPECT_ERR("a. = 1\n", 1, 4, "expected a key, found '='");
    EXPECT_ERR("a..b = 1\n", 1, 3, "expected a key, found '.'");
    EXPECT_ERR("[]\n", 1, 2, "expected a key, found ']'");
    EXPECT_ERR("a = True\n", 1, 5, "invalid value 'True'");
    EXPECT_ERR("a = yes\n", 1, 5, "invalid value 'yes'");
    EXPECT_ERR("a = @\n", 1, 5, "expected a value, found '@'");
    EXPECT_ERR("a = 1\n]\n", 2, 1, "expected a key, found ']'");
}

static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
    struct buf b;

    buf_init(&b, BUF_UNLIMITED);
    ASSERT_OK(buf_append_str(&b, head));
    for (size_t i = 0; i < n; i++)
        ASSERT_OK(buf_append_str(&b, unit));
    ASSERT_OK(buf_append_str(&b, tail));
    return buf_take(&b, NULL);
}

TEST(error_nesting_depth)
{
    char *doc = repeat("a = ", "[", TOML_MAX_DEPTH, "");
    char *full = repeat(doc, "]", TOML_MAX_DEPTH, "\n");
    struct toml_table *t = PARSE(full);
    toml_free(t);
    free(doc);
    free(full);
    doc = repeat("a = ", "[", TOML_MAX_DEPTH + 1, "");
    EXPECT_ERR(doc, 1, 5 + TOML_MAX_DEPTH, "nesting deeper than 64 levels");
    free(doc);
    doc = repeat("a = ", "{b=", TOML_MAX_DEPTH + 1, "");
    EXPECT_ERR(doc, 1, 5 + 3 * TOML_MAX_DEPTH, "nesting deeper than 64 levels");
    free(doc);
    doc = repeat("a = ", "[{b=", 40, "");
    EXPECT_ERR(doc, 1, 5 + 4 * 32, "nesting deeper than 64 levels");
    free(doc);
    doc = repeat("x", ".x", TOML_MAX_DEPTH - 1, " = 1\n");
    t = PARSE(doc);
    toml_free(t);
    free(doc);
    doc = repeat("x", ".x", TOML_MAX_DEPTH, " = 1\n");
    EXPECT_ERR(doc, 1, 2 * TOML_MAX_DEPTH + 1, "key nests deeper than 64 levels");
    free(doc);
    doc = repeat("[x", ".x", TOML_MAX_DEPTH - 1, "]\n");
    t = PARSE(doc);
    toml_free(t);
    free(doc);
    doc = repeat("[x", ".x", TOML_MAX_DEPTH - 1, "]\ny = []\nz = {}\n");
    EXPECT_ERR(doc, 2, 5, "nesting deeper than 64 levels");
    free(doc);
    doc = repeat("[[x", ".x", TOML_MAX_DEPTH - 2, "]]\n");
    t = PARSE(doc); /* the array at depth 63, its element tables at 64 */
    toml_free(t);
    free(doc);
    doc = repeat("[[x", ".x", TOML_MAX_DEPTH - 1, "]]\n");
    EXPECT_ERR(doc, 1, 2 * TOML_MAX_DEPTH + 1, "nesting deeper than 64 levels");
    free(doc);
}

TEST(error_document_too_large)
{
    size_t len = TOML_MAX_BYTES + 1;
    char *big = malloc(len);
    struct err_msg err = {0};

    memset(big, '\n', len);
    ASSERT_NULL(toml_parse(big, len, &err));
    ASSERT_EQ(err.line, 0);
    ASSERT_CONTAINS(err.msg, "document larger than");
    struct toml_table *t = toml_parse(big, len - 1, &err);
    ASSERT_NOT_NULL(t);
    toml_free(t);
    free(big);
}

TEST(error_column_counts_characters)
{
    EXPECT_ERR("s = \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\" x\n", 1, 11,
               "expected a newline after the value, found 'x'");
    EXPECT_ERR("# \xc3\xa9\n\t\ta = 1 1\n", 2, 9, "found '1'");
}

HARNESS_MAIN(CASE(error_duplicate_key), CASE(error_table_redefined),
             CASE(error_key_over_other_type), CASE(error_dotted_keys_extend_header_table),
             CASE(error_extend_inline_table), CASE(error_extend_static_array),
             CASE(error_invalid_utf8), CASE(error_control_characters), CASE(error_bare_cr),
             CASE(error_missing_newline), CASE(error_unterminated_string),
             CASE(error_unterminated_array_and_table), CASE(error_invalid_escapes),
             CASE(error_integer_syntax), CASE(error_integer_overflow), CASE(error_float_syntax),
             CASE(error_invalid_datetime), CASE(error_inline_table_syntax),
             CASE(error_array_syntax), CASE(error_bad_keys_and_values), CASE(error_nesting_depth),
             CASE(error_document_too_large), CASE(error_column_counts_characters))
