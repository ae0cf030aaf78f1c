/* Unit tests for config/toml: every TOML 1.0 construct, every class of error with its exact
 * line:column, resource limits, and the fixtures in tests/fixtures/toml/. */
#include "toml.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "harness.h"

/* Helpers take the caller's line so that a failure points at the test, not here. */
#define PARSE(doc)                parse_ok(__LINE__, (doc), strlen(doc))
#define GET(t, path)              get_path(__LINE__, (t), (path))
#define EXPECT_ERR(doc, l, c, m)  expect_err(__LINE__, (doc), strlen(doc), (l), (c), (m))
#define EXPECT_ERRN(doc, l, c, m) expect_err(__LINE__, (doc), sizeof(doc) - 1, (l), (c), (m))

static struct toml_table *parse_ok(int at, const char *doc, size_t len)
{
    struct err_msg err = {0};
    struct toml_table *t = toml_parse(doc, len, &err);

    if (t == NULL) {
        fprintf(stderr, "%s:%d: parse failed at %d:%d: %s\n", __FILE__, at, err.line, err.col,
                err.msg);
        exit(1);
    }
    return t;
}

static void expect_err(int at, const char *doc, size_t len, int line, int col, const char *msg)
{
    struct err_msg err = {0};
    struct toml_table *t = toml_parse(doc, len, &err);

    if (t != NULL) {
        fprintf(stderr, "%s:%d: parse succeeded, expected %d:%d: %s\n", __FILE__, at, line, col,
                msg);
        exit(1);
    }
    if (err.line != line || err.col != col || strstr(err.msg, msg) == NULL) {
        fprintf(stderr, "%s:%d: expected %d:%d: %s\n  got %d:%d: %s\n", __FILE__, at, line, col,
                msg, err.line, err.col, err.msg);
        exit(1);
    }
}

/* Follows a dotted path of bare keys; a numeric part indexes an array. */
static const struct toml_value *get_path(int at, const struct toml_table *t, const char *path)
{
    const struct toml_value *v = NULL;
    char part[128];

    while (*path != '\0') {
        size_t n = strcspn(path, ".");
        memcpy(part, path, n);
        part[n] = '\0';
        path += n + (path[n] == '.');
        if (v != NULL && toml_value_type(v) == TOML_ARRAY)
            v = toml_array_at(toml_value_array(v), (size_t)strtoul(part, NULL, 10));
        else
            v = toml_table_get(v != NULL ? toml_value_table(v) : t, part);
        if (v == NULL) {
            fprintf(stderr, "%s:%d: no value at '%s'\n", __FILE__, at, part);
            exit(1);
        }
    }
    return v;
}

static const char *str_of(const struct toml_value *v)
{
    const char *s = toml_value_string(v, NULL);

    ASSERT_NOT_NULL(s);
    return s;
}

static long long int_of(const struct toml_value *v)
{
    ASSERT_EQ(toml_value_type(v), TOML_INTEGER);
    return toml_value_integer(v);
}

static double float_of(const struct toml_value *v)
{
    ASSERT_EQ(toml_value_type(v), TOML_FLOAT);
    return toml_value_float(v);
}

static const char *dt_of(const struct toml_value *v, enum toml_datetime_kind kind)
{
    enum toml_datetime_kind k;
    const char *s = toml_value_datetime(v, &k);

    ASSERT_NOT_NULL(s);
    ASSERT_EQ(k, kind);
    return s;
}

static char *fixture_path(const char *name)
{
    static char path[1024];
    const char *slash = strrchr(__FILE__, '/');
    int dir = slash != NULL ? (int)(slash - __FILE__) : 1;

    snprintf(path, sizeof(path), "%.*s/../fixtures/toml/%s", dir, slash ? __FILE__ : ".", name);
    return path;
}

static struct toml_table *parse_fixture(const char *name, struct err_msg *err)
{
    struct buf text;

    buf_init(&text, TOML_MAX_BYTES);
    ASSERT_OK(buf_read_file(&text, fixture_path(name)));
    struct toml_table *t = toml_parse(text.data, text.len, err);
    buf_free(&text);
    return t;
}

TEST(empty_document_and_comments)
{
    struct toml_table *t = PARSE("");

    ASSERT_EQ(toml_table_len(t), 0);
    toml_free(t);
    t = PARSE("# only a comment\n\n   \t\n# another\t with tab # and hash\n");
    ASSERT_EQ(toml_table_len(t), 0);
    toml_free(t);
    t = toml_parse(NULL, 0, NULL);
    ASSERT_NOT_NULL(t);
    toml_free(t);
    toml_free(NULL);
}

TEST(bare_keys)
{
    struct toml_table *t = PARSE("key = 1\nbare_key = 2\nbare-key = 3\n1234 = 4\n-_- = 5\n"
                                 "true = 6\ninf = 7\n");

    ASSERT_EQ(int_of(GET(t, "key")), 1);
    ASSERT_EQ(int_of(GET(t, "bare_key")), 2);
    ASSERT_EQ(int_of(GET(t, "bare-key")), 3);
    ASSERT_EQ(int_of(GET(t, "1234")), 4);
    ASSERT_EQ(int_of(GET(t, "-_-")), 5);
    ASSERT_EQ(int_of(GET(t, "true")), 6);
    ASSERT_EQ(int_of(GET(t, "inf")), 7);
    ASSERT_NULL(toml_table_get(t, "missing"));
    toml_free(t);
}

TEST(quoted_keys)
{
    struct toml_table *t = PARSE("\"127.0.0.1\" = 1\n\"character encoding\" = 2\n"
                                 "\"\\u00e9t\\u00e9\" = 3\n'key2' = 4\n'quoted \"value\"' = 5\n"
                                 "\"\" = 6\n");

    ASSERT_EQ(int_of(toml_table_get(t, "127.0.0.1")), 1);
    ASSERT_EQ(int_of(toml_table_get(t, "character encoding")), 2);
    ASSERT_EQ(int_of(toml_table_get(t, "\xc3\xa9t\xc3\xa9")), 3);
    ASSERT_EQ(int_of(toml_table_get(t, "key2")), 4);
    ASSERT_EQ(int_of(toml_table_get(t, "quoted \"value\"")), 5);
    ASSERT_EQ(int_of(toml_table_get(t, "")), 6);
    toml_free(t);
}

TEST(dotted_keys)
{
    struct toml_table *t = PARSE("name = \"Orange\"\nphysical.color = \"orange\"\n"
                                 "physical.shape = \"round\"\nsite.\"google.com\" = true\n"
                                 "a . b . c = 1\n");

    ASSERT_STR_EQ(str_of(GET(t, "physical.color")), "orange");
    ASSERT_STR_EQ(str_of(GET(t, "physical.shape")), "round");
    ASSERT_EQ(toml_table_len(toml_value_table(GET(t, "physical"))), 2);
    const struct toml_table *site = toml_value_table(GET(t, "site"));
    ASSERT_TRUE(toml_value_bool(toml_table_get(site, "google.com")));
    ASSERT_EQ(int_of(GET(t, "a.b.c")), 1);
    toml_free(t);
}

TEST(dotted_keys_in_inline_table)
{
    struct toml_table *t = PARSE("animal = { type.name = \"pug\", type.age = 3, legs = 4 }\n");

    ASSERT_STR_EQ(str_of(GET(t, "animal.type.name")), "pug");
    ASSERT_EQ(int_of(GET(t, "animal.type.age")), 3);
    ASSERT_EQ(int_of(GET(t, "animal.legs")), 4);
    toml_free(t);
}

TEST(line_endings_and_bom)
{
    struct toml_table *t = PARSE("\xef\xbb\xbf"
                                 "a = 1\r\n# c\r\n[t]\r\nb = \"x\" # c\r\n");

    ASSERT_EQ(int_of(GET(t, "a")), 1);
    ASSERT_STR_EQ(str_of(GET(t, "t.b")), "x");
    toml_free(t);
}

TEST(tables_and_subtables)
{
    struct toml_table *t = PARSE("top = 0\n[table-1]\nkey1 = \"some string\"\nkey2 = 123\n"
                                 "[table-2]\nkey1 = \"another string\"\n[ dog . \"tater.man\" ]\n"
                                 "type.name = \"pug\"\n[x.y.z.w]\n[x]\nv = 1\n");

    ASSERT_EQ(int_of(GET(t, "table-1.key2")), 123);
    ASSERT_STR_EQ(str_of(GET(t, "table-2.key1")), "another string");
    const struct toml_table *dog = toml_value_table(GET(t, "dog"));
    ASSERT_STR_EQ(str_of(GET(toml_value_table(toml_table_get(dog, "tater.man")), "type.name")),
                  "pug");
    ASSERT_EQ(toml_value_type(GET(t, "x.y.z.w")), TOML_TABLE);
    ASSERT_EQ(int_of(GET(t, "x.v")), 1);
    toml_free(t);
}

TEST(implicit_tables_and_dotted_subtables)
{
    /* [a.b.c] creates a and a.b implicitly; [a] may still be defined once. Dotted keys may
     * enter the implicit a.b; a header may add a sub-table to a dotted-key table. */
    struct toml_table *t =
        PARSE("[a.b.c]\nz = 9\n[a]\nb.d = 1\n[fruit]\napple.color = \"red\"\n"
              "apple.taste.sweet = true\n[fruit.apple.texture]\nsmooth = true\n");

    ASSERT_EQ(int_of(GET(t, "a.b.c.z")), 9);
    ASSERT_EQ(int_of(GET(t, "a.b.d")), 1);
    ASSERT_TRUE(toml_value_bool(GET(t, "fruit.apple.taste.sweet")));
    ASSERT_TRUE(toml_value_bool(GET(t, "fruit.apple.texture.smooth")));
    toml_free(t);
}

TEST(array_of_tables)
{
    struct toml_table *t = PARSE("[[products]]\nname = \"Hammer\"\nsku = 738594937\n\n"
                                 "[[products]]\n\n[[products]]\nname = \"Nail\"\n"
                                 "color = \"gray\"\n");
    const struct toml_array *a = toml_value_array(GET(t, "products"));

    ASSERT_EQ(toml_array_len(a), 3);
    ASSERT_EQ(int_of(GET(t, "products.0.sku")), 738594937);
    ASSERT_EQ(toml_table_len(toml_value_table(toml_array_at(a, 1))), 0);
    ASSERT_STR_EQ(str_of(GET(t, "products.2.color")), "gray");
    ASSERT_NULL(toml_array_at(a, 3));
    toml_free(t);
}

TEST(array_of_tables_nested_subtables)
{
    struct toml_table *t = PARSE("[[fruits]]\nname = \"apple\"\n[fruits.physical]\n"
                                 "color = \"red\"\n[[fruits.varieties]]\nname = \"red delicious\"\n"
                                 "[[fruits.varieties]]\nname = \"granny smith\"\n[[fruits]]\n"
                                 "name = \"banana\"\n[fruits.physical]\ncolor = \"yellow\"\n"
                                 "[[fruits.varieties]]\nname = \"plantain\"\n");

    ASSERT_EQ(toml_array_len(toml_value_array(GET(t, "fruits"))), 2);
    ASSERT_STR_EQ(str_of(GET(t, "fruits.0.physical.color")), "red");
    ASSERT_STR_EQ(str_of(GET(t, "fruits.0.varieties.1.name")), "granny smith");
    ASSERT_STR_EQ(str_of(GET(t, "fruits.1.physical.color")), "yellow");
    ASSERT_EQ(toml_array_len(toml_value_array(GET(t, "fruits.1.varieties"))), 1);
    toml_free(t);
}

TEST(document_order_iteration)
{
    struct toml_table *t = PARSE("zeta = 1\nalpha = 2\n[mid]\n[beta]\n");
    static const char *const want[] = {"zeta", "alpha", "mid", "beta"};
    size_t len;

    ASSERT_EQ(toml_table_len(t), 4);
    for (size_t i = 0; i < 4; i++) {
        ASSERT_STR_EQ(toml_table_key_at(t, i, &len), want[i]);
        ASSERT_EQ(len, strlen(want[i]));
    }
    ASSERT_EQ(int_of(toml_table_value_at(t, 1)), 2);
    ASSERT_NULL(toml_table_key_at(t, 4, NULL));
    ASSERT_NULL(toml_table_value_at(t, 4));
    ASSERT_EQ(toml_table_len(NULL), 0);
    ASSERT_NULL(toml_table_get(NULL, "x"));
    toml_free(t);
}

TEST(large_table_and_array_stay_linear)
{
    struct buf doc;
    const size_t n = 60000;

    buf_init(&doc, TOML_MAX_BYTES);
    for (size_t i = 0; i < n; i++)
        ASSERT_OK(buf_appendf(&doc, "key_%zu = %zu\n", i, i));
    ASSERT_OK(buf_append_str(&doc, "arr = ["));
    for (size_t i = 0; i < n; i++)
        ASSERT_OK(buf_appendf(&doc, "%zu,", i));
    ASSERT_OK(buf_append_str(&doc, "]\n"));
    for (size_t i = 0; i < 2000; i++)
        ASSERT_OK(buf_appendf(&doc, "[[t]]\nx = %zu\n", i));
    struct toml_table *t = parse_ok(__LINE__, doc.data, doc.len);
    ASSERT_EQ(toml_table_len(t), n + 2);
    ASSERT_EQ(int_of(toml_table_get(t, "key_0")), 0);
    ASSERT_EQ(int_of(toml_table_get(t, "key_31337")), 31337);
    ASSERT_EQ(int_of(toml_table_get(t, "key_59999")), 59999);
    ASSERT_NULL(toml_table_get(t, "key_60000"));
    ASSERT_EQ(toml_array_len(toml_value_array(toml_table_get(t, "arr"))), n);
    ASSERT_EQ(toml_array_len(toml_value_array(toml_table_get(t, "t"))), 2000);
    toml_free(t);
    /* A duplicate far into a big table is still found. */
    buf_reset(&doc);
    for (size_t i = 0; i < n; i++)
        ASSERT_OK(buf_appendf(&doc, "key_%zu = %zu\n", i, i));
    ASSERT_OK(buf_append_str(&doc, "key_12345 = 0\n"));
    expect_err(__LINE__, doc.data, doc.len, (int)n + 1, 1, "duplicate key 'key_12345'");
    buf_free(&doc);
}

TEST(basic_string_escapes)
{
    struct toml_table *t = PARSE("s = \"I'm a string. \\\"You can quote me\\\". Tab\\there\\\\"
                                 "\\b\\f\\n\\r\"\n");

    ASSERT_STR_EQ(str_of(GET(t, "s")), "I'm a string. \"You can quote me\". Tab\there\\\b\f\n\r");
    toml_free(t);
}

TEST(unicode_escapes)
{
    struct toml_table *t = PARSE("a = \"\\u0041\\u00E9\\u20AC\\uFFFF\"\nb = \"\\U0001F600\"\n"
                                 "c = \"\\U0010FFFF\\uD7FF\\uE000\"\nd = \"caf\xc3\xa9\"\n");

    ASSERT_STR_EQ(str_of(GET(t, "a")), "A\xc3\xa9\xe2\x82\xac\xef\xbf\xbf");
    ASSERT_STR_EQ(str_of(GET(t, "b")), "\xf0\x9f\x98\x80");
    ASSERT_STR_EQ(str_of(GET(t, "c")), "\xf4\x8f\xbf\xbf\xed\x9f\xbf\xee\x80\x80");
    ASSERT_STR_EQ(str_of(GET(t, "d")), "caf\xc3\xa9");
    toml_free(t);
}

TEST(string_with_nul_keeps_length)
{
    struct toml_table *t = PARSE("s = \"a\\u0000b\"\n\"k\\u0000ey\" = 1\n");
    size_t len;
    const char *s = toml_value_string(GET(t, "s"), &len);

    ASSERT_EQ(len, 3);
    ASSERT_TRUE(memcmp(s, "a\0b", 4) == 0);
    ASSERT_NULL(toml_table_get(t, "k"));
    ASSERT_EQ(int_of(toml_table_getn(t, "k\0ey", 4)), 1);
    ASSERT_EQ(toml_table_key_at(t, 1, &len)[1], '\0');
    ASSERT_EQ(len, 4);
    toml_free(t);
}

TEST(literal_strings)
{
    struct toml_table *t = PARSE("winpath = 'C:\\Users\\nodejs\\templates'\n"
                                 "quoted = 'Tom \"Dubs\" Preston-Werner'\nregex = '<\\i\\c*\\s*>'\n"
                                 "tab = 'a\tb'\nempty = ''\n");

    ASSERT_STR_EQ(str_of(GET(t, "winpath")), "C:\\Users\\nodejs\\templates");
    ASSERT_STR_EQ(str_of(GET(t, "quoted")), "Tom \"Dubs\" Preston-Werner");
    ASSERT_STR_EQ(str_of(GET(t, "regex")), "<\\i\\c*\\s*>");
    ASSERT_STR_EQ(str_of(GET(t, "tab")), "a\tb");
    ASSERT_STR_EQ(str_of(GET(t, "empty")), "");
    toml_free(t);
}

TEST(multiline_basic_trims_first_newline)
{
    struct toml_table *t = PARSE("a = \"\"\"\nRoses are red\nViolets are blue\"\"\"\n"
                                 "b = \"\"\"\r\nx\r\ny\"\"\"\nc = \"\"\"no newline\"\"\"\n"
                                 "d = \"\"\"\n\nkept\"\"\"\n");

    ASSERT_STR_EQ(str_of(GET(t, "a")), "Roses are red\nViolets are blue");
    ASSERT_STR_EQ(str_of(GET(t, "b")), "x\ny"); /* CRLF inside is normalised to LF */
    ASSERT_STR_EQ(str_of(GET(t, "c")), "no newline");
    ASSERT_STR_EQ(str_of(GET(t, "d")), "\nkept");
    toml_free(t);
}

TEST(multiline_line_ending_backslash)
{
    struct toml_table *t =
        PARSE("a = \"\"\"\nThe quick brown \\\n\n\n  fox jumps over \\\n"
              "    the lazy dog.\"\"\"\nb = \"\"\"\\\n       The quick brown \\\n"
              "       fox.\\\n       \"\"\"\nc = \"\"\"x\\   \t\r\n   y\"\"\"\n"
              "d = \"\"\"tab\\tstays\"\"\"\n");

    ASSERT_STR_EQ(str_of(GET(t, "a")), "The quick brown fox jumps over the lazy dog.");
    ASSERT_STR_EQ(str_of(GET(t, "b")), "The quick brown fox.");
    ASSERT_STR_EQ(str_of(GET(t, "c")), "xy");
    ASSERT_STR_EQ(str_of(GET(t, "d")), "tab\tstays");
    toml_free(t);
}

TEST(multiline_adjacent_quotes)
{
    struct toml_table *t =
        PARSE("a = \"\"\"Here are two quotation marks: \"\". Simple.\"\"\"\n"
              "b = \"\"\"Here are three: \"\"\\\".\"\"\"\n"
              "c = \"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\"\n"
              "d = \"\"\"ends with two\"\"\"\"\"\n"
              "e = '''''one quote'''\nf = ''''That,' she said''''\n");

    ASSERT_STR_EQ(str_of(GET(t, "a")), "Here are two quotation marks: \"\". Simple.");
    ASSERT_STR_EQ(str_of(GET(t, "b")), "Here are three: \"\"\".");
    ASSERT_STR_EQ(str_of(GET(t, "c")), "\"This,\" she said, \"is just a pointless statement.\"");
    ASSERT_STR_EQ(str_of(GET(t, "d")), "ends with two\"\"");
    ASSERT_STR_EQ(str_of(GET(t, "e")), "''one quote");
    ASSERT_STR_EQ(str_of(GET(t, "f")), "'That,' she said'");
    toml_free(t);
}

TEST(multiline_literal)
{
    struct toml_table *t = PARSE("regex2 = '''I [dw]on't need \\d{2} apples'''\n"
                                 "lines = '''\nThe first newline is\ntrimmed in raw strings.\n"
                                 "   All other whitespace\n   is preserved. \\\n'''\n");

    ASSERT_STR_EQ(str_of(GET(t, "regex2")), "I [dw]on't need \\d{2} apples");
    ASSERT_STR_EQ(str_of(GET(t, "lines")), "The first newline is\ntrimmed in raw strings.\n"
                                           "   All other whitespace\n   is preserved. \\\n");
    toml_free(t);
}

TEST(integer_decimal)
{
    struct toml_table *t = PARSE("a = +99\nb = 42\nc = 0\nd = -17\ne = +0\nf = -0\n");

    ASSERT_EQ(int_of(GET(t, "a")), 99);
    ASSERT_EQ(int_of(GET(t, "b")), 42);
    ASSERT_EQ(int_of(GET(t, "c")), 0);
    ASSERT_EQ(int_of(GET(t, "d")), -17);
    ASSERT_EQ(int_of(GET(t, "e")), 0);
    ASSERT_EQ(int_of(GET(t, "f")), 0);
    toml_free(t);
}

TEST(integer_bases)
{
    struct toml_table *t = PARSE("h1 = 0xDEADBEEF\nh2 = 0xdeadbeef\nh3 = 0xdead_beef\n"
                                 "o1 = 0o01234567\no2 = 0o755\nb1 = 0b11010110\n"
                                 "hmax = 0x7FFFFFFFFFFFFFFF\nz = 0x0\n");

    ASSERT_EQ(int_of(GET(t, "h1")), 0xDEADBEEF);
    ASSERT_EQ(int_of(GET(t, "h2")), 0xDEADBEEF);
    ASSERT_EQ(int_of(GET(t, "h3")), 0xDEADBEEF);
    ASSERT_EQ(int_of(GET(t, "o1")), 01234567);
    ASSERT_EQ(int_of(GET(t, "o2")), 0755);
    ASSERT_EQ(int_of(GET(t, "b1")), 0xD6);
    ASSERT_EQ(int_of(GET(t, "hmax")), 0x7FFFFFFFFFFFFFFFLL);
    ASSERT_EQ(int_of(GET(t, "z")), 0);
    toml_free(t);
}

TEST(integer_underscores)
{
    struct toml_table *t = PARSE("a = 1_000\nb = 5_349_221\nc = 53_49_221\nd = 1_2_3_4_5\n"
                                 "e = 0b1_0\n");

    ASSERT_EQ(int_of(GET(t, "a")), 1000);
    ASSERT_EQ(int_of(GET(t, "b")), 5349221);
    ASSERT_EQ(int_of(GET(t, "c")), 5349221);
    ASSERT_EQ(int_of(GET(t, "d")), 12345);
    ASSERT_EQ(int_of(GET(t, "e")), 2);
    toml_free(t);
}

TEST(integer_limits)
{
    struct toml_table *t = PARSE("max = 9223372036854775807\nmin = -9223372036854775808\n");

    ASSERT_TRUE(int_of(GET(t, "max")) == 9223372036854775807LL);
    ASSERT_TRUE(int_of(GET(t, "min")) == -9223372036854775807LL - 1);
    toml_free(t);
}

TEST(float_forms)
{
    struct toml_table *t = PARSE("a = +1.0\nb = 3.1415\nc = -0.01\nd = 5e+22\ne = 1e06\n"
                                 "f = -2E-2\ng = 6.626e-34\nh = 224_617.445_991_228\ni = -0.0\n"
                                 "j = 1e-400\nk = 1.7976931348623157e308\n");

    ASSERT_TRUE(float_of(GET(t, "a")) == 1.0);
    ASSERT_TRUE(float_of(GET(t, "b")) == 3.1415);
    ASSERT_TRUE(float_of(GET(t, "c")) == -0.01);
    ASSERT_TRUE(float_of(GET(t, "d")) == 5e22);
    ASSERT_TRUE(float_of(GET(t, "e")) == 1e6);
    ASSERT_TRUE(float_of(GET(t, "f")) == -2e-2);
    ASSERT_TRUE(float_of(GET(t, "g")) == 6.626e-34);
    ASSERT_TRUE(float_of(GET(t, "h")) == 224617.445991228);
    ASSERT_TRUE(float_of(GET(t, "i")) == 0.0 && signbit(float_of(GET(t, "i"))));
    ASSERT_TRUE(float_of(GET(t, "j")) == 0.0); /* underflow is fine, overflow is not */
    ASSERT_TRUE(float_of(GET(t, "k")) == 1.7976931348623157e308);
    toml_free(t);
}

TEST(float_inf_nan)
{
    struct toml_table *t = PARSE("a = inf\nb = +inf\nc = -inf\nd = nan\ne = +nan\nf = -nan\n");

    ASSERT_TRUE(isinf(float_of(GET(t, "a"))) && float_of(GET(t, "a")) > 0);
    ASSERT_TRUE(isinf(float_of(GET(t, "b"))) && float_of(GET(t, "b")) > 0);
    ASSERT_TRUE(isinf(float_of(GET(t, "c"))) && float_of(GET(t, "c")) < 0);
    ASSERT_TRUE(isnan(float_of(GET(t, "d"))));
    ASSERT_TRUE(isnan(float_of(GET(t, "e"))));
    ASSERT_TRUE(isnan(float_of(GET(t, "f"))));
    toml_free(t);
}

TEST(booleans)
{
    struct toml_table *t = PARSE("t = true\nf = false\narr = [true,false]\n");

    ASSERT_EQ(toml_value_type(GET(t, "t")), TOML_BOOL);
    ASSERT_TRUE(toml_value_bool(GET(t, "t")));
    ASSERT_FALSE(toml_value_bool(GET(t, "f")));
    ASSERT_FALSE(toml_value_bool(GET(t, "arr.1")));
    toml_free(t);
}

TEST(datetime_offset)
{
    struct toml_table *t = PARSE("a = 1979-05-27T07:32:00Z\nb = 1979-05-27T00:32:00-07:00\n"
                                 "c = 1979-05-27T00:32:00.999999+05:30\n"
                                 "d = 1979-05-27 07:32:00z\ne = 2000-02-29t23:59:60Z\n");

    ASSERT_STR_EQ(dt_of(GET(t, "a"), TOML_DATETIME_OFFSET), "1979-05-27T07:32:00Z");
    ASSERT_STR_EQ(dt_of(GET(t, "b"), TOML_DATETIME_OFFSET), "1979-05-27T00:32:00-07:00");
    ASSERT_STR_EQ(dt_of(GET(t, "c"), TOML_DATETIME_OFFSET), "1979-05-27T00:32:00.999999+05:30");
    ASSERT_STR_EQ(dt_of(GET(t, "d"), TOML_DATETIME_OFFSET), "1979-05-27 07:32:00z");
    ASSERT_STR_EQ(dt_of(GET(t, "e"), TOML_DATETIME_OFFSET), "2000-02-29t23:59:60Z");
    ASSERT_EQ(toml_value_type(GET(t, "a")), TOML_DATETIME);
    ASSERT_NULL(toml_value_string(GET(t, "a"), NULL));
    toml_free(t);
}

TEST(datetime_local)
{
    struct toml_table *t = PARSE("a = 1979-05-27T07:32:00\nb = 1979-05-27 00:32:00.999999 # c\n");

    ASSERT_STR_EQ(dt_of(GET(t, "a"), TOML_DATETIME_LOCAL), "1979-05-27T07:32:00");
    ASSERT_STR_EQ(dt_of(GET(t, "b"), TOML_DATETIME_LOCAL), "1979-05-27 00:32:00.999999");
    toml_free(t);
}

TEST(date_local)
{
    struct toml_table *t = PARSE("a = 1979-05-27\nb = 2024-02-29 # leap\nc = [1979-05-27]\n");

    ASSERT_STR_EQ(dt_of(GET(t, "a"), TOML_DATETIME_DATE), "1979-05-27");
    ASSERT_STR_EQ(dt_of(GET(t, "b"), TOML_DATETIME_DATE), "2024-02-29");
    ASSERT_STR_EQ(dt_of(GET(t, "c.0"), TOML_DATETIME_DATE), "1979-05-27");
    toml_free(t);
}

TEST(time_local)
{
    struct toml_table *t = PARSE("a = 07:32:00\nb = 00:32:00.999999\nc = 23:59:59\n");

    ASSERT_STR_EQ(dt_of(GET(t, "a"), TOML_DATETIME_TIME), "07:32:00");
    ASSERT_STR_EQ(dt_of(GET(t, "b"), TOML_DATETIME_TIME), "00:32:00.999999");
    ASSERT_STR_EQ(dt_of(GET(t, "c"), TOML_DATETIME_TIME), "23:59:59");
    toml_free(t);
}

TEST(arrays_nested_mixed)
{
    struct toml_table *t = PARSE("ints = [ 1, 2, 3 ]\nempty = []\nnested = [ [ 1, 2 ], "
                                 "[\"a\", 'b', \"\"\"c\"\"\"] ]\n"
                                 "mixed = [ 0.1, \"x\", 1979-05-27, {a = 1}, [] ]\n");
    const struct toml_array *mixed = toml_value_array(GET(t, "mixed"));

    ASSERT_EQ(toml_array_len(toml_value_array(GET(t, "ints"))), 3);
    ASSERT_EQ(int_of(GET(t, "ints.2")), 3);
    ASSERT_EQ(toml_array_len(toml_value_array(GET(t, "empty"))), 0);
    ASSERT_STR_EQ(str_of(GET(t, "nested.1.2")), "c");
    ASSERT_EQ(toml_array_len(mixed), 5);
    ASSERT_EQ(toml_value_type(toml_array_at(mixed, 0)), TOML_FLOAT);
    ASSERT_EQ(toml_value_type(toml_array_at(mixed, 2)), TOML_DATETIME);
    ASSERT_EQ(int_of(GET(t, "mixed.3.a")), 1);
    ASSERT_EQ(toml_value_type(toml_array_at(mixed, 4)), TOML_ARRAY);
    ASSERT_NULL(toml_value_table(GET(t, "mixed")));
    ASSERT_EQ(toml_array_len(NULL), 0);
    toml_free(t);
}

TEST(arrays_multiline_trailing_comma_comments)
{
    struct toml_table *t = PARSE("a = [\n  1,\n  2, # two\n  # a whole comment line\n\n  3,\n]\n"
                                 "b = [ # open\n\"x\"\n,\"y\" ,  ]\nc = [\n]\n");

    ASSERT_EQ(toml_array_len(toml_value_array(GET(t, "a"))), 3);
    ASSERT_EQ(int_of(GET(t, "a.2")), 3);
    ASSERT_STR_EQ(str_of(GET(t, "b.1")), "y");
    ASSERT_EQ(toml_array_len(toml_value_array(GET(t, "c"))), 0);
    toml_free(t);
}

TEST(inline_tables)
{
    struct toml_table *t = PARSE("name = { first = \"Tom\", last = \"Preston-Werner\" }\n"
                                 "point = {x=1,y=2}\nempty = {}\nspaced = {   }\n"
                                 "nested = { a = { b = { c = [1, {d = 2}] } } }\n"
                                 "multi = { arr = [\n 1,\n 2,\n] }\n");

    ASSERT_STR_EQ(str_of(GET(t, "name.last")), "Preston-Werner");
    ASSERT_EQ(int_of(GET(t, "point.y")), 2);
    ASSERT_EQ(toml_table_len(toml_value_table(GET(t, "empty"))), 0);
    ASSERT_EQ(toml_table_len(toml_value_table(GET(t, "spaced"))), 0);
    ASSERT_EQ(int_of(GET(t, "nested.a.b.c.1.d")), 2);
    ASSERT_EQ(int_of(GET(t, "multi.arr.1")), 2);
    toml_free(t);
}

TEST(value_positions)
{
    struct toml_table *t =
        PARSE("# c\nport = 8100\n  [server]\nhost = \"x\"\nlist = [1,\n   2]\n[a.b]\n"
              "k.v = {x = 1}\n\"\xc3\xa9\" = 'caf\xc3\xa9' \n");
    ASSERT_EQ(toml_value_line(GET(t, "port")), 2);
    ASSERT_EQ(toml_value_col(GET(t, "port")), 8);
    ASSERT_EQ(toml_value_line(GET(t, "server")), 3);
    ASSERT_EQ(toml_value_col(GET(t, "server")), 4);
    ASSERT_EQ(toml_value_col(GET(t, "server.host")), 8);
    ASSERT_EQ(toml_value_line(GET(t, "server.list")), 5);
    ASSERT_EQ(toml_value_col(GET(t, "server.list")), 8);
    ASSERT_EQ(toml_value_line(GET(t, "server.list.1")), 6);
    ASSERT_EQ(toml_value_col(GET(t, "server.list.1")), 4);
    ASSERT_EQ(toml_value_line(GET(t, "a")), 7); /* implicit table: where its name appears */
    ASSERT_EQ(toml_value_col(GET(t, "a")), 2);
    ASSERT_EQ(toml_value_col(GET(t, "a.b")), 4);
    ASSERT_EQ(toml_value_col(GET(t, "a.b.k")), 1); /* dotted-key table: its key part */
    ASSERT_EQ(toml_value_col(GET(t, "a.b.k.v")), 7);
    ASSERT_EQ(toml_value_col(GET(t, "a.b.k.v.x")), 12);
    const struct toml_value *e = toml_table_get(toml_value_table(GET(t, "a.b")), "\xc3\xa9");
    ASSERT_EQ(toml_value_line(e), 9);
    ASSERT_EQ(toml_value_col(e), 7); /* columns count characters, not bytes */
    toml_free(t);
}

TEST(accessors_check_types)
{
    struct toml_table *t = PARSE("i = 1\ns = \"x\"\nd = 1979-05-27\na = [1]\n[t]\n");
    static const char *const names[] = {"string",   "integer", "float", "boolean",
                                        "datetime", "array",   "table"};

    ASSERT_NULL(toml_value_string(GET(t, "i"), NULL));
    ASSERT_NULL(toml_value_string(NULL, NULL));
    ASSERT_NULL(toml_value_datetime(GET(t, "s"), NULL));
    ASSERT_STR_EQ(toml_value_datetime(GET(t, "d"), NULL), "1979-05-27");
    ASSERT_NULL(toml_value_array(GET(t, "t")));
    ASSERT_NULL(toml_value_table(GET(t, "a")));
    ASSERT_NULL(toml_value_table(NULL));
    ASSERT_NULL(toml_array_at(toml_value_array(GET(t, "a")), 1));
    for (int i = TOML_STRING; i <= TOML_TABLE; i++)
        ASSERT_STR_EQ(toml_type_name((enum toml_type)i), names[i]);
    toml_free(t);
}

TEST(not_nul_terminated)
{
    const char doc[] = "a = 12345";
    struct toml_table *t = parse_ok(__LINE__, doc, 6);

    ASSERT_EQ(int_of(GET(t, "a")), 12);
    toml_free(t);
    char *copy = malloc(5);
    memcpy(copy, "s = \"", 5);
    EXPECT_ERR("s = \"", 1, 5, "unterminated string");
    ASSERT_NULL(toml_parse(copy, 5, NULL));
    free(copy);
}

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

TEST(fixture_master)
{
    struct err_msg err = {0};
    struct toml_table *t = parse_fixture("master.toml", &err);

    ASSERT_NOT_NULL(t);
    ASSERT_STR_EQ(str_of(GET(t, "name")), "master-9g_8b_thinking");
    ASSERT_EQ(int_of(GET(t, "port")), 8100);
    ASSERT_EQ(toml_value_line(GET(t, "port")), 4);
    ASSERT_EQ(toml_value_col(GET(t, "port")), 8);
    ASSERT_EQ(int_of(GET(t, "babysitter.max_restarts")), 10000);
    ASSERT_EQ(int_of(GET(t, "babysitter.restart_delay")), 10);
    ASSERT_STR_EQ(str_of(GET(t, "backend.type")), "command");
    const struct toml_array *args = toml_value_array(GET(t, "backend.args"));
    ASSERT_EQ(toml_array_len(args), 18);
    ASSERT_STR_EQ(str_of(toml_array_at(args, 1)), "vllm.entrypoints.openai.api_server");
    ASSERT_STR_EQ(str_of(toml_array_at(args, 17)), "--trust-remote-code");
    ASSERT_EQ(toml_value_line(toml_array_at(args, 17)), 27);
    ASSERT_EQ(toml_value_col(toml_array_at(args, 17)), 5);
    ASSERT_STR_EQ(str_of(GET(t, "backend.env.CUDA_VISIBLE_DEVICES")), "0");
    ASSERT_STR_EQ(toml_table_key_at(toml_value_table(GET(t, "backend.env")), 2, NULL),
                  "VLLM_LOGGING_LEVEL");
    toml_free(t);
}

TEST(fixture_slave)
{
    struct err_msg err = {0};
    struct toml_table *t = parse_fixture("slave.toml", &err);

    ASSERT_NOT_NULL(t);
    ASSERT_EQ(int_of(GET(t, "port")), 8200);
    ASSERT_TRUE(float_of(GET(t, "babysitter.restart_delay")) == 2.5);
    ASSERT_STR_EQ(str_of(GET(t, "backend.args.9")), "8200");
    ASSERT_STR_EQ(str_of(GET(t, "backend.args.19")), "/templates/chat template.jinja");
    ASSERT_STR_EQ(str_of(GET(t, "backend.env.CUDA_VISIBLE_DEVICES")), "1");
    toml_free(t);
}

TEST(fixture_mock)
{
    struct err_msg err = {0};
    struct toml_table *t = parse_fixture("mock.toml", &err);

    ASSERT_NOT_NULL(t);
    ASSERT_EQ(int_of(GET(t, "port")), 0);
    ASSERT_STR_EQ(str_of(GET(t, "backend.type")), "mock");
    ASSERT_STR_EQ(str_of(GET(t, "backend.models.0")), "model-1");
    ASSERT_STR_EQ(str_of(GET(t, "metadata.cache_type")), "paged");
    ASSERT_FALSE(toml_value_bool(GET(t, "metadata.static")));
    ASSERT_EQ(int_of(GET(t, "metadata.gpu.memory_gib")), 80);
    ASSERT_STR_EQ(str_of(GET(t, "metadata.tags.1")), "mock");
    ASSERT_EQ(toml_value_line(GET(t, "metadata")), 17);
    ASSERT_EQ(toml_value_col(GET(t, "metadata")), 2);
    toml_free(t);
}

TEST(fixture_everything)
{
    struct err_msg err = {0};
    struct toml_table *t = parse_fixture("everything.toml", &err);

    ASSERT_NOT_NULL(t);
    ASSERT_STR_EQ(str_of(GET(t, "title")), "TOML \"everything\" \xc3\xa9\xf0\x9f\x98\x80");
    ASSERT_STR_EQ(str_of(GET(t, "literal")), "C:\\Users\\nodejs\\templates");
    ASSERT_EQ(int_of(toml_table_get(t, "quoted key")), 2);
    ASSERT_TRUE(
        toml_value_bool(toml_table_get(toml_value_table(toml_table_get(t, "site")), "google.com")));
    ASSERT_STR_EQ(str_of(GET(t, "multi")), "Roses are red\nViolets are blue");
    ASSERT_STR_EQ(str_of(GET(t, "trimmed")), "The quick brown fox jumps over the lazy dog.");
    ASSERT_STR_EQ(str_of(GET(t, "ends_with_quotes")), "say \"\"hi\"\"");
    ASSERT_STR_EQ(str_of(GET(t, "raw_lines")), "The first newline is\ntrimmed in raw strings.\n");
    ASSERT_EQ(int_of(GET(t, "numbers.hex")), 0xDEADBEEF);
    ASSERT_EQ(int_of(GET(t, "numbers.bin")), 0xD6);
    ASSERT_TRUE(int_of(GET(t, "numbers.small")) == -9223372036854775807LL - 1);
    ASSERT_TRUE(float_of(GET(t, "numbers.under")) == 224617.445991228);
    ASSERT_TRUE(isnan(float_of(GET(t, "numbers.qnan"))));
    ASSERT_STR_EQ(dt_of(GET(t, "dates.odt3"), TOML_DATETIME_OFFSET), "1979-05-27 07:32:00+05:30");
    ASSERT_STR_EQ(dt_of(GET(t, "dates.lt"), TOML_DATETIME_TIME), "00:32:00.999999");
    ASSERT_EQ(int_of(GET(t, "arrays.mixed.4.five")), 5);
    ASSERT_STR_EQ(str_of(GET(t, "arrays.multi.1")), "beta");
    ASSERT_EQ(int_of(GET(t, "arrays.points.1.z.w")), 9);
    ASSERT_EQ(int_of(GET(t, "inline.dotted.type.age")), 3);
    ASSERT_STR_EQ(str_of(GET(t, "a.b.c.deep")), "yes");
    ASSERT_STR_EQ(str_of(GET(t, "a.b.d")), "dotted into an implicit table");
    ASSERT_EQ(toml_array_len(toml_value_array(GET(t, "products"))), 3);
    ASSERT_STR_EQ(str_of(GET(t, "products.2.color")), "gray");
    ASSERT_STR_EQ(str_of(GET(t, "fruits.0.varieties.1.name")), "granny smith");
    ASSERT_STR_EQ(str_of(GET(t, "fruits.1.varieties.0.name")), "plantain");
    toml_free(t);
}

TEST(fixture_invalid)
{
    static const struct {
        const char *name;
        int line, col;
        const char *msg;
    } cases[] = {
        {"invalid_duplicate_key.toml", 5, 1, "duplicate key 'port'"},
        {"invalid_unterminated_string.toml", 3, 11, "unterminated string"},
        {"invalid_missing_newline.toml", 2, 19, "expected a newline after the value"},
        {"invalid_table_redefined.toml", 7, 2, "table defined twice 'backend'"},
        {"invalid_inline_extended.toml", 4, 10, "cannot extend inline table 'backend.env'"},
        {"invalid_bad_escape.toml", 2, 11, "\\U escape needs 8 hex digits"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct err_msg err = {0};
        ASSERT_NULL(parse_fixture(cases[i].name, &err));
        ASSERT_EQ(err.line, cases[i].line);
        ASSERT_EQ(err.col, cases[i].col);
        ASSERT_CONTAINS(err.msg, cases[i].msg);
    }
}

HARNESS_MAIN(CASE(empty_document_and_comments), CASE(bare_keys), CASE(quoted_keys),
             CASE(dotted_keys), CASE(dotted_keys_in_inline_table), CASE(line_endings_and_bom),
             CASE(tables_and_subtables), CASE(implicit_tables_and_dotted_subtables),
             CASE(array_of_tables), CASE(array_of_tables_nested_subtables),
             CASE(document_order_iteration), CASE(large_table_and_array_stay_linear),
             CASE(basic_string_escapes), CASE(unicode_escapes), CASE(string_with_nul_keeps_length),
             CASE(literal_strings), CASE(multiline_basic_trims_first_newline),
             CASE(multiline_line_ending_backslash), CASE(multiline_adjacent_quotes),
             CASE(multiline_literal), CASE(integer_decimal), CASE(integer_bases),
             CASE(integer_underscores), CASE(integer_limits), CASE(float_forms),
             CASE(float_inf_nan), CASE(booleans), CASE(datetime_offset), CASE(datetime_local),
             CASE(date_local), CASE(time_local), CASE(arrays_nested_mixed),
             CASE(arrays_multiline_trailing_comma_comments), CASE(inline_tables),
             CASE(value_positions), CASE(accessors_check_types), CASE(not_nul_terminated),
             CASE(error_duplicate_key), CASE(error_table_redefined),
             CASE(error_key_over_other_type), CASE(error_dotted_keys_extend_header_table),
             CASE(error_extend_inline_table), CASE(error_extend_static_array),
             CASE(error_invalid_utf8), CASE(error_control_characters), CASE(error_bare_cr),
             CASE(error_missing_newline), CASE(error_unterminated_string),
             CASE(error_unterminated_array_and_table), CASE(error_invalid_escapes),
             CASE(error_integer_syntax), CASE(error_integer_overflow), CASE(error_float_syntax),
             CASE(error_invalid_datetime), CASE(error_inline_table_syntax),
             CASE(error_array_syntax), CASE(error_bad_keys_and_values), CASE(error_nesting_depth),
             CASE(error_document_too_large), CASE(error_column_counts_characters),
             CASE(fixture_master), CASE(fixture_slave), CASE(fixture_mock),
             CASE(fixture_everything), CASE(fixture_invalid))
