/* Gradient-check cases for the ranking metrics (recall_at_k, ndcg_at_k):
 * they take no gradient, so the checks are that they block it, that float
 * and double agree, and that 1 and 2 threads give the same values; their
 * exact values against a ranking worked by hand are in tests/lua/ranking.lua.
 * Included by test_grad.c inside its table of cases (GRAD_CASES). */
#ifdef GRAD_CASES
    {"recall_at_k", 3, {"4,9", "4,9", "4,9"}, {ANY, BIT, BIT}, "k=3", 0},
    {"recall_at_k", 2, {"4,9", "4,9"}, {ANY, BIT}, "k=9", 0},
    {"recall_at_k", 3, {"64,515", "64,515", "64,515"}, {ANY, BIT, BIT}, "k=50", LARGE},
    {"ndcg_at_k", 3, {"4,9", "4,9", "4,9"}, {ANY, BIT, BIT}, "k=5", 0},
    {"ndcg_at_k", 2, {"4,9", "4,9"}, {ANY, BIT}, "k=1", 0},
    {"ndcg_at_k", 3, {"64,515", "64,515", "64,515"}, {ANY, BIT, BIT}, "k=100", LARGE},
#endif
