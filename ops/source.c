/* Inputs and parameters: nodes whose values come from outside the plan (the
 * data loader, the parameter arena). They run no kernel. */
#include "kernel.h"

VG_OP_RECORD(input) = {.name = "input", .doc = "an input the trainer fills", .flags = VG_OPF_SOURCE};
VG_OP_RECORD(param) = {.name = "param", .doc = "a parameter", .flags = VG_OPF_SOURCE};
