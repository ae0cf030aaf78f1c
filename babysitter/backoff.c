/* Restart schedule arithmetic. Depends on nothing. */
#include "backoff.h"

void bs_backoff_init(struct bs_backoff *b, double initial_s, double max_s, double stable_after_s,
                     int max_restarts)
{
    b->initial_s = initial_s > 0 ? initial_s : 0;
    /* A cap below the initial delay would make the first delay the largest: use the initial. */
    b->max_s = max_s > b->initial_s ? max_s : b->initial_s;
    b->stable_after_s = stable_after_s > 0 ? stable_after_s : 0;
    b->max_restarts = max_restarts > 0 ? max_restarts : 0;
    b->streak = 0;
    b->total = 0;
}

double bs_backoff_delay(const struct bs_backoff *b, int n)
{
    double d = b->initial_s;

    /* Doubling stops at the cap, so large n neither loops long nor overflows. */
    for (int i = 0; i < n && d > 0 && d < b->max_s; i++)
        d *= 2;
    return d > b->max_s ? b->max_s : d;
}

double bs_backoff_next(struct bs_backoff *b)
{
    if (b->streak >= b->max_restarts)
        return -1;
    double d = bs_backoff_delay(b, b->streak);
    b->streak++;
    b->total++;
    return d;
}

bool bs_backoff_note_ready(struct bs_backoff *b, double ready_s)
{
    if (ready_s <= 0 || ready_s < b->stable_after_s)
        return false;
    b->streak = 0;
    return true;
}
