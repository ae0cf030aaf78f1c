/* Unit tests for config/toml: every TOML 1.0 construct it accepts, resource limits, and the
 * fixtures in tests/fixtures/toml/. Rejections are in test_toml_errors.c. */
#include "toml.h"

#include "toml_check.h"

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
             CASE(fixture_master), CASE(fixture_slave), CASE(fixture_mock),
             CASE(fixture_everything), CASE(fixture_invalid))
