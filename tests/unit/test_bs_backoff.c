/* Unit tests for babysitter/backoff: delays double from the initial one up to the cap, the
 * limit counts restarts in a row, and a stable ready period starts the schedule over. */
#include "backoff.h"

#include "harness.h"

TEST(delays_double_up_to_the_cap)
{
    struct bs_backoff b;
    const double want[] = {5, 10, 20, 40, 80, 160, 300, 300, 300};

    bs_backoff_init(&b, 5, 300, 60, 10000);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        ASSERT_EQ(bs_backoff_next(&b) * 1000, want[i] * 1000);
    ASSERT_EQ(b.total, 9);
    ASSERT_EQ(b.streak, 9);
}

TEST(fractional_delays)
{
    struct bs_backoff b;

    bs_backoff_init(&b, 0.2, 1, 60, 100);
    ASSERT_EQ(bs_backoff_next(&b) * 1000, 200);
    ASSERT_EQ(bs_backoff_next(&b) * 1000, 400);
    ASSERT_EQ(bs_backoff_next(&b) * 1000, 800);
    ASSERT_EQ(bs_backoff_next(&b) * 1000, 1000);
}

TEST(max_restarts_stops_the_series)
{
    struct bs_backoff b;

    bs_backoff_init(&b, 1, 10, 60, 3);
    ASSERT_TRUE(bs_backoff_next(&b) >= 0);
    ASSERT_TRUE(bs_backoff_next(&b) >= 0);
    ASSERT_TRUE(bs_backoff_next(&b) >= 0);
    ASSERT_TRUE(bs_backoff_next(&b) < 0);
    ASSERT_TRUE(bs_backoff_next(&b) < 0);
    ASSERT_EQ(b.total, 3); /* refused restarts are not counted */
}

TEST(zero_max_restarts_never_restarts)
{
    struct bs_backoff b;

    bs_backoff_init(&b, 1, 10, 60, 0);
    ASSERT_TRUE(bs_backoff_next(&b) < 0);
    ASSERT_EQ(b.total, 0);
}

TEST(stable_uptime_resets_delay_and_count)
{
    struct bs_backoff b;

    bs_backoff_init(&b, 1, 100, 60, 3);
    bs_backoff_next(&b);
    bs_backoff_next(&b);
    ASSERT_EQ(bs_backoff_next(&b), 4);
    ASSERT_FALSE(bs_backoff_note_ready(&b, 59.9)); /* not long enough */
    ASSERT_TRUE(bs_backoff_next(&b) < 0);
    ASSERT_TRUE(bs_backoff_note_ready(&b, 60));
    ASSERT_EQ(bs_backoff_next(&b), 1);
    ASSERT_EQ(bs_backoff_next(&b), 2);
    ASSERT_EQ(b.total, 5); /* the total keeps counting across series */
}

TEST(never_ready_does_not_reset)
{
    struct bs_backoff b;

    bs_backoff_init(&b, 1, 100, 0, 10);
    bs_backoff_next(&b);
    ASSERT_FALSE(bs_backoff_note_ready(&b, 0));
    ASSERT_EQ(bs_backoff_next(&b), 2);
    ASSERT_TRUE(bs_backoff_note_ready(&b, 0.001)); /* stable_after 0: any ready period */
    ASSERT_EQ(bs_backoff_next(&b), 1);
}

TEST(cap_below_initial_and_zero_delay)
{
    struct bs_backoff b;

    bs_backoff_init(&b, 10, 2, 60, 5);
    ASSERT_EQ(bs_backoff_next(&b), 10);
    ASSERT_EQ(bs_backoff_next(&b), 10);
    bs_backoff_init(&b, 0, 300, 60, 1000000000);
    for (int i = 0; i < 1000; i++)
        ASSERT_EQ(bs_backoff_next(&b), 0);
    ASSERT_EQ(bs_backoff_delay(&b, 1000000), 0);
}

TEST(huge_streak_stays_at_the_cap)
{
    struct bs_backoff b;

    bs_backoff_init(&b, 5, 300, 60, 1000000000);
    ASSERT_EQ(bs_backoff_delay(&b, 999999999), 300);
}

HARNESS_MAIN(CASE(delays_double_up_to_the_cap), CASE(fractional_delays),
             CASE(max_restarts_stops_the_series), CASE(zero_max_restarts_never_restarts),
             CASE(stable_uptime_resets_delay_and_count), CASE(never_ready_does_not_reset),
             CASE(cap_below_initial_and_zero_delay), CASE(huge_streak_stays_at_the_cap))
