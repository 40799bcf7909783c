/* Gradient checks: `test_grad OP` runs every case of one op.
 *
 * For each small case, in double precision: a random upstream gradient r,
 * the analytic gradient of sum(r * y) from the op's backward, against central
 * differences on every input element. Then the float kernels against the
 * double ones. Each large case (big enough to fork threads) checks that 1
 * and 2 threads give bit-identical float outputs and gradients. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "graph.h"
#include "isa.h"
#include "op.h"
#include "plan.h"
#include "rng.h"

/* How to draw an input's values; IDS are token ids 0..5, LENS sentence
 * lengths 1, 4, 2, 0, 3, ... (full, partial and empty sentences of 4
 * steps), LENS20 lengths 0, 1, .., 20, 0, 1, .. (every length of 20 steps,
 * the empty and the full one among them), SPLIT_IDS ids 0..5 and 1024..1029
 * (both sides of linear_cross_entropy's first block of classes). */
enum { ANY, POS, PROB, AWAY0, BIT, IDS, LENS, LENS20, SPLIT_IDS };

typedef struct gcase {
  const char *op;
  int nin;
  const char *shapes[8]; /* "3,5" */
  int domain[8];
  const char *attrs;
  int mode; /* LARGE, TRAINING, ACROSS or none */
} gcase;

/* LARGE: only the 1-vs-2-threads check, on a case big enough to fork.
 * TRAINING: kernels run in training mode (dropout, batch norm).
 * ACROSS: kernels see the batch split over two processes (op.h's
 * collective; `twin` below), and must give one process's bits. */
enum { LARGE = 1, TRAINING = 2, ACROSS = 4 };

static const gcase cases[] = {
    {"linear", 3, {"3,5", "4,5", "4"}, {ANY, ANY, ANY}, "", 0},
    {"linear", 2, {"2,3,7", "5,7"}, {ANY, ANY}, "", 0},
    {"linear", 3, {"130,300", "200,300", "200"}, {ANY, ANY, ANY}, "", 1},
    {"add", 2, {"3,5", "3,5"}, {ANY, ANY}, "", 0},
    {"add", 2, {"3,5", ""}, {ANY, ANY}, "", 0},
    {"add", 2, {"64,515", "64,515"}, {ANY, ANY}, "", 1},
    {"add", 2, {"", "64,515"}, {ANY, ANY}, "", 1},
    {"sub", 2, {"2,3,2", "2,3,2"}, {ANY, ANY}, "", 0},
    {"sub", 2, {"", "7"}, {ANY, ANY}, "", 0},
    {"sub", 2, {"64,515", "64,515"}, {ANY, ANY}, "", 1},
    {"mul", 2, {"3,5", "3,5"}, {ANY, ANY}, "", 0},
    {"mul", 2, {"3,5", ""}, {ANY, ANY}, "", 0},
    {"mul", 2, {"64,515", ""}, {ANY, ANY}, "", 1},
    {"scale", 1, {"3,7"}, {ANY}, "factor=-2.5", 0},
    {"scale", 1, {"64,515"}, {ANY}, "factor=0.3", 1},
    {"concat", 3, {"2,3", "2,1", "2,4"}, {ANY, ANY, ANY}, "axis=1", 0},
    {"concat", 2, {"2,3,2", "1,3,2"}, {ANY, ANY}, "axis=0", 0},
    {"concat", 2, {"200,100", "200,30"}, {ANY, ANY}, "axis=-1", 1},
    {"slice", 1, {"3,7"}, {ANY}, "axis=1 start=2 len=4", 0},
    {"slice", 1, {"4,3,5"}, {ANY}, "axis=0 start=1 len=2", 0},
    {"slice", 1, {"200,300"}, {ANY}, "axis=1 start=17 len=200", 1},
    {"reshape", 1, {"3,4"}, {ANY}, "dims=2,-1,3", 0},
    {"reshape", 1, {"64,515"}, {ANY}, "dims=515,64", 1},
    {"flatten", 1, {"3,2,5"}, {ANY}, "", 0},
    {"flatten", 1, {"64,5,103"}, {ANY}, "", 1},
    {"relu", 1, {"3,7"}, {AWAY0}, "", 0},
    {"relu", 1, {"64,515"}, {ANY}, "", 1},
    {"leaky_relu", 1, {"3,7"}, {AWAY0}, "slope=0.2", 0},
    {"leaky_relu", 1, {"64,515"}, {ANY}, "", 1},
    {"sigmoid", 1, {"3,7"}, {ANY}, "", 0},
    {"sigmoid", 1, {"64,515"}, {ANY}, "", 1},
    {"tanh", 1, {"3,7"}, {ANY}, "", 0},
    {"tanh", 1, {"64,515"}, {ANY}, "", 1},
    {"softplus", 1, {"3,7"}, {ANY}, "", 0},
    {"softplus", 1, {"2,3"}, {ANY}, "threshold=0.5", 0},
    {"softplus", 1, {"64,515"}, {ANY}, "", 1},
    {"exp", 1, {"3,7"}, {ANY}, "", 0},
    {"exp", 1, {"64,515"}, {ANY}, "", 1},
    {"log", 1, {"3,7"}, {POS}, "", 0},
    {"log", 1, {"64,515"}, {POS}, "", 1},
    {"sum", 1, {"3,5"}, {ANY}, "", 0},
    {"sum", 1, {"3,4,5"}, {ANY}, "axis=1", 0},
    {"sum", 1, {"3,4,5"}, {ANY}, "axis=-1", 0},
    {"sum", 1, {"64,515"}, {ANY}, "", 1},
    {"sum", 1, {"64,515"}, {ANY}, "axis=0", 1},
    {"mean", 1, {"3,5"}, {ANY}, "", 0},
    {"mean", 1, {"3,4,5"}, {ANY}, "axis=0", 0},
    {"mean", 1, {"64,515"}, {ANY}, "", 1},
    {"mean", 1, {"64,515"}, {ANY}, "axis=1", 1},
    {"reparam", 2, {"3,5", "3,5"}, {ANY, ANY}, "", 0},
    {"reparam", 2, {"64,515", "64,515"}, {ANY, ANY}, "", 1},
    {"gaussian_noise", 1, {"3,5"}, {ANY}, "mean=0.5 sd=0.3", 0},
    {"gaussian_noise", 1, {"64,515"}, {ANY}, "", 1},
    {"kl_normal", 2, {"3,5", "3,5"}, {ANY, ANY}, "reduction=sum", 0},
    {"kl_normal", 2, {"3,5", "3,5"}, {ANY, ANY}, "reduction=batchmean", 0},
    {"kl_normal", 2, {"2,3", "2,3"}, {ANY, ANY}, "reduction=none", 0},
    {"kl_normal", 2, {"64,515", "64,515"}, {ANY, ANY}, "reduction=sum", 1},
    {"bce", 2, {"3,5", "3,5"}, {PROB, PROB}, "reduction=sum", 0},
    {"bce", 2, {"3,5", "3,5"}, {PROB, BIT}, "reduction=mean", 0},
    {"bce", 2, {"2,3", "2,3"}, {PROB, PROB}, "reduction=none", 0},
    {"bce", 1, {"4"}, {PROB}, "target=0 reduction=sum", 0},
    {"bce", 2, {"64,515", "64,515"}, {PROB, BIT}, "reduction=sum", 1},
    {"bce_logits", 2, {"3,5", "3,5"}, {ANY, PROB}, "reduction=sum", 0},
    {"bce_logits", 1, {"3,5"}, {ANY}, "target=1 reduction=batchmean", 0},
    {"bce_logits", 2, {"2,3", "2,3"}, {ANY, BIT}, "reduction=none", 0},
    {"bce_logits", 2, {"64,515", "64,515"}, {ANY, BIT}, "reduction=mean", 1},
    {"mse", 2, {"3,5", "3,5"}, {ANY, ANY}, "reduction=sum", 0},
    {"mse", 2, {"3,5", "3,5"}, {ANY, ANY}, "reduction=mean", 0},
    {"mse", 1, {"2,3"}, {ANY}, "target=0.5 reduction=none", 0},
    {"mse", 2, {"64,515", "64,515"}, {ANY, ANY}, "reduction=sum", 1},
    {"stop_gradient", 1, {"3,5"}, {ANY}, "", 0},
    {"binary_accuracy", 2, {"3,5", "3,5"}, {AWAY0, BIT}, "", 0},
    {"binary_accuracy", 1, {"4,3"}, {AWAY0}, "target=0 reduction=sum", 0},
    {"binary_accuracy", 2, {"64,515", "64,515"}, {AWAY0, BIT}, "", 1},
    {"prior", 0, {""}, {ANY}, "dims=6,3", 0},
    {"prior", 0, {""}, {ANY}, "dims=64,2 kind=mixture", 1},
    {"prior", 0, {""}, {ANY}, "dims=64,300 kind=categorical categories=10", 1},
    /* The lanes path (few channels) and 1x1 kernels. */
    {"conv2d", 3, {"2,3,9,17", "2,3,3,3", "2"}, {ANY, ANY, ANY}, "same=1", 0},
    {"conv2d", 3, {"8,16,28,28", "1,16,3,3", "1"}, {ANY, ANY, ANY}, "same=1", LARGE},
    {"conv2d", 3, {"2,3,4,5", "4,3,1,1", "4"}, {ANY, ANY, ANY}, "", 0},
    {"conv_transpose2d", 3, {"2,3,4,5", "3,4,1,1", "4"}, {ANY, ANY, ANY}, "", 0},
    {"clamp", 1, {"3,7"}, {ANY}, "min=-0.5 max=0.7", 0},
    {"clamp", 1, {"64,515"}, {ANY}, "min=0 max=1", LARGE},
    {"avgpool2d", 1, {"2,3,5,7"}, {ANY}, "", 0},
    {"avgpool2d", 1, {"2,2,7,6"}, {ANY}, "kernel=3 stride=2 padding=1", 0},
    {"avgpool2d", 1, {"8,16,28,28"}, {ANY}, "", LARGE},
    {"conv2d", 3, {"2,3,5,7", "4,3,3,3", "4"}, {ANY, ANY, ANY}, "stride=2 padding=1", 0},
    {"conv2d", 3, {"2,3,5,7", "4,3,3,3", "4"}, {ANY, ANY, ANY}, "", 0},
    {"conv2d", 2, {"2,3,5,7", "2,3,2,4"}, {ANY, ANY}, "same=1", 0},
    {"conv2d", 3, {"2,2,6,5", "3,2,2,3", "3"}, {ANY, ANY, ANY}, "same=1 dilation=2", 0},
    {"conv2d", 2, {"1,2,7,6", "3,2,3,2"}, {ANY, ANY}, "stride=3 padding=2 dilation=2", 0},
    {"conv2d", 3, {"8,16,28,28", "8,16,3,3", "8"}, {ANY, ANY, ANY}, "same=1", LARGE},
    {"conv2d", 3, {"8,1,28,28", "16,1,3,3", "16"}, {ANY, ANY, ANY}, "stride=2 padding=1", LARGE},
    {"conv_transpose2d", 3, {"2,3,5,7", "3,4,3,3", "4"}, {ANY, ANY, ANY}, "stride=2 padding=1 output_padding=1", 0},
    {"conv_transpose2d", 2, {"2,3,4,3", "3,2,2,4"}, {ANY, ANY}, "", 0},
    {"conv_transpose2d", 3, {"1,2,3,4", "2,3,3,2", "3"}, {ANY, ANY, ANY}, "stride=3 padding=1 dilation=2", 0},
    {"conv_transpose2d", 3, {"2,2,3,3", "2,2,3,3", "2"}, {ANY, ANY, ANY}, "dilation=2 output_padding=1", 0},
    {"conv_transpose2d", 3, {"8,16,14,14", "16,8,3,3", "8"}, {ANY, ANY, ANY}, "stride=2 padding=1 output_padding=1", LARGE},
    /* Batches over one group of lanes, the last one part full. */
    {"conv2d", 3, {"40,2,4,5", "3,2,3,3", "3"}, {ANY, ANY, ANY}, "same=1", 0},
    {"conv2d", 3, {"40,2,5,6", "3,2,3,3", "3"}, {ANY, ANY, ANY}, "stride=2 padding=1", 0},
    {"conv_transpose2d", 3, {"40,2,3,3", "2,3,3,3", "3"}, {ANY, ANY, ANY}, "stride=2 padding=1 output_padding=1", 0},
    /* Over 32 groups of lanes: a chunk of the weight gradient then sums
     * several groups (the first sets, the rest add). */
    {"conv2d", 3, {"530,1,2,3", "2,1,3,3", "2"}, {ANY, ANY, ANY}, "same=1", 0},
    {"conv_transpose2d", 3, {"530,2,2,2", "2,1,3,3", "1"}, {ANY, ANY, ANY}, "stride=2 padding=1", 0},
    {"conv2d", 3, {"530,4,6,6", "8,4,3,3", "8"}, {ANY, ANY, ANY}, "same=1", LARGE},
    {"conv_transpose2d", 3, {"530,4,3,3", "4,2,3,3", "2"}, {ANY, ANY, ANY}, "stride=2 padding=1 output_padding=1", LARGE},
    /* The lanes path's geometry. Stride 1 with padding beyond the kernel's
     * reach: its adjoint crops dy (offsets -1), the weight gradient takes
     * dy unpadded. */
    {"conv2d", 3, {"3,2,4,5", "3,2,1,1", "3"}, {ANY, ANY, ANY}, "padding=1", 0},
    {"conv2d", 3, {"3,2,5,6", "2,2,3,1", "2"}, {ANY, ANY, ANY}, "padding=1", 0},
    {"conv_transpose2d", 3, {"2,3,6,7", "3,2,3,3", "2"}, {ANY, ANY, ANY}, "padding=3", 0},
    /* Image rows and columns no window reaches (their gradient is zero, set
     * so), and rows of 16 and more pixels (whole transposed blocks). */
    {"conv2d", 3, {"3,2,6,40", "3,2,3,3", "3"}, {ANY, ANY, ANY}, "stride=2", 0},
    {"conv_transpose2d", 3, {"3,2,3,9", "2,3,3,3", "3"}, {ANY, ANY, ANY}, "stride=2 output_padding=1", 0},
    /* 1x1 at stride 2: pixels between the windows. */
    {"conv2d", 3, {"3,2,5,7", "3,2,1,1", "3"}, {ANY, ANY, ANY}, "stride=2", 0},
    /* 32 channels by 64 taps: the most weight rows the kernels take. */
    {"conv2d", 2, {"1,32,9,9", "2,32,8,8"}, {ANY, ANY}, "stride=2 padding=1", 0},
    {"conv_transpose2d", 2, {"1,2,2,2", "2,32,8,8"}, {ANY, ANY}, "stride=2", 0},
    /* fused activations, on each path: GEMM, lanes, 1x1, strided */
    {"linear", 3, {"4,6", "5,6", "5"}, {ANY, ANY, ANY}, "act=relu", 0},
    {"linear", 3, {"2,3,6", "5,6", "5"}, {ANY, ANY, ANY}, "act=sigmoid", 0},
    {"linear", 2, {"4,6", "5,6"}, {ANY, ANY}, "act=tanh", 0},
    {"conv2d", 3, {"2,3,5,7", "4,3,3,3", "4"}, {ANY, ANY, ANY}, "padding=1 act=relu", 0},
    {"conv2d", 3, {"2,3,9,17", "1,3,3,3", "1"}, {ANY, ANY, ANY}, "same=1 act=sigmoid", 0},
    {"conv2d", 3, {"2,3,4,5", "4,3,1,1", "4"}, {ANY, ANY, ANY}, "act=tanh", 0},
    {"conv2d", 2, {"1,2,7,6", "3,2,3,2"}, {ANY, ANY}, "stride=2 padding=1 act=relu", 0},
    {"conv2d", 3, {"8,16,28,28", "1,16,3,3", "1"}, {ANY, ANY, ANY}, "same=1 act=sigmoid", LARGE},
    {"conv2d", 3, {"8,1,28,28", "16,1,3,3", "16"}, {ANY, ANY, ANY}, "same=1 act=relu", LARGE},
    {"conv_transpose2d", 3, {"2,3,5,7", "3,4,3,3", "4"}, {ANY, ANY, ANY}, "stride=2 padding=1 output_padding=1 act=relu", 0},
    {"conv_transpose2d", 3, {"2,3,4,3", "3,2,2,4", "2"}, {ANY, ANY, ANY}, "act=tanh", 0},
    {"maxpool2d", 1, {"2,3,5,7"}, {ANY}, "", 0},
    {"maxpool2d", 1, {"2,3,5,7"}, {ANY}, "kernel=3 stride=2 padding=1", 0},
    {"maxpool2d", 1, {"1,2,6,5"}, {ANY}, "kernel=3 stride=1", 0},
    {"maxpool2d", 1, {"2,2,4,6"}, {ANY}, "kernel=2 stride=1 padding=1", 0},
    {"maxpool2d", 1, {"8,16,28,28"}, {ANY}, "", LARGE},
    {"maxpool2d", 1, {"8,16,28,28"}, {ANY}, "kernel=3 stride=2 padding=1", LARGE},
    {"upsample", 1, {"2,3,5,7"}, {ANY}, "", 0},
    {"upsample", 1, {"1,2,3,20"}, {ANY}, "", 0}, /* rows of 16 + 4 and of 16: vectors with and without a tail */
    {"upsample", 1, {"1,2,2,16"}, {ANY}, "", 0},
    {"upsample", 1, {"2,3,4,5"}, {ANY}, "scale=3", 0},
    {"upsample", 1, {"2,3,5,7"}, {ANY}, "mode=bilinear", 0},
    {"upsample", 1, {"1,2,3,4"}, {ANY}, "scale=3 mode=bilinear", 0},
    {"upsample", 1, {"1,1,1,2"}, {ANY}, "mode=bilinear", 0},
    {"upsample", 1, {"8,16,14,14"}, {ANY}, "", LARGE},
    {"upsample", 1, {"8,16,14,14"}, {ANY}, "mode=bilinear", LARGE},
    {"batch_norm", 5, {"4,3", "3", "3", "3", "3"}, {ANY, ANY, ANY, ANY, POS}, "", TRAINING},
    {"batch_norm", 5, {"4,3", "3", "3", "3", "3"}, {ANY, ANY, ANY, ANY, POS}, "", 0},
    {"batch_norm", 5, {"2,3,5,7", "3", "3", "3", "3"}, {ANY, ANY, ANY, ANY, POS}, "momentum=0.2", TRAINING},
    {"batch_norm", 5, {"2,3,5,7", "3", "3", "3", "3"}, {ANY, ANY, ANY, ANY, POS}, "eps=0.001", 0},
    {"batch_norm", 5, {"3,70", "70", "70", "70", "70"}, {ANY, ANY, ANY, ANY, POS}, "", TRAINING},
    {"batch_norm", 5, {"8,16,28,28", "16", "16", "16", "16"}, {ANY, ANY, ANY, ANY, POS}, "", LARGE | TRAINING},
    {"batch_norm", 5, {"8,16,28,28", "16", "16", "16", "16"}, {ANY, ANY, ANY, ANY, POS}, "", LARGE},
    {"batch_norm", 5, {"256,200", "200", "200", "200", "200"}, {ANY, ANY, ANY, ANY, POS}, "", LARGE | TRAINING},
    {"batch_norm", 5, {"4,3", "3", "3", "3", "3"}, {ANY, ANY, ANY, ANY, POS}, "", TRAINING | ACROSS},
    {"batch_norm", 5, {"2,3,5,7", "3", "3", "3", "3"}, {ANY, ANY, ANY, ANY, POS}, "momentum=0.2", TRAINING | ACROSS},
    {"batch_norm", 5, {"3,70", "70", "70", "70", "70"}, {ANY, ANY, ANY, ANY, POS}, "", TRAINING | ACROSS},
    {"batch_norm", 5, {"8,16,28,28", "16", "16", "16", "16"}, {ANY, ANY, ANY, ANY, POS}, "", LARGE | TRAINING | ACROSS},
    {"batch_norm", 5, {"256,200", "200", "200", "200", "200"}, {ANY, ANY, ANY, ANY, POS}, "", LARGE | TRAINING | ACROSS},
    {"dropout", 1, {"3,5"}, {ANY}, "p=0.3", TRAINING},
    {"dropout", 1, {"2,3,4"}, {ANY}, "", TRAINING},
    {"dropout", 1, {"3,5"}, {ANY}, "p=0", TRAINING},
    {"dropout", 1, {"3,5"}, {ANY}, "", 0},
    {"dropout", 1, {"64,515"}, {ANY}, "p=0.2", LARGE | TRAINING},
    {"embedding", 2, {"3,4", "6,5"}, {IDS, ANY}, "", 0},
    {"embedding", 2, {"64,40", "6,300"}, {IDS, ANY}, "", LARGE},
    {"word_dropout", 1, {"3,5"}, {IDS}, "p=0.5", 0},
    {"softmax", 1, {"3,7"}, {ANY}, "", 0},
    {"softmax", 1, {"2,3,13"}, {ANY}, "", 0},
    {"softmax", 1, {"64,515"}, {ANY}, "", LARGE},
    {"log_softmax", 1, {"3,7"}, {ANY}, "", 0},
    {"log_softmax", 1, {"2,3,13"}, {ANY}, "", 0},
    {"log_softmax", 1, {"64,515"}, {ANY}, "", LARGE},
    {"cross_entropy", 2, {"4,3,7", "4,3"}, {ANY, IDS}, "reduction=sum", 0},
    {"cross_entropy", 2, {"4,3,7", "4,3"}, {ANY, IDS}, "reduction=mean ignore=0", 0},
    {"cross_entropy", 2, {"4,3,17", "4,3"}, {ANY, IDS}, "reduction=batchmean ignore=0", 0},
    {"cross_entropy", 2, {"5,6", "5"}, {ANY, IDS}, "reduction=none ignore=2", 0},
    {"cross_entropy", 2, {"64,515", "64"}, {ANY, IDS}, "reduction=sum ignore=0", LARGE},
    {"cross_entropy", 3, {"6,7", "6", "2"}, {ANY, IDS, ANY}, "reduction=batchmean", 0},
    /* linear_cross_entropy: one block of classes and, past 1,024 classes, several (the running max and sum
     * carried across blocks, the target in the second) */
    {"linear_cross_entropy", 4, {"4,3,5", "7,5", "7", "4,3"}, {ANY, ANY, ANY, IDS}, "reduction=sum", 0},
    {"linear_cross_entropy", 4, {"4,3,5", "7,5", "7", "4,3"}, {ANY, ANY, ANY, IDS}, "reduction=mean ignore=0", 0},
    {"linear_cross_entropy", 4, {"5,3", "6,3", "6", "5"}, {ANY, ANY, ANY, IDS}, "reduction=none ignore=2", 0},
    {"linear_cross_entropy", 5, {"6,4", "7,4", "7", "6", "2"}, {ANY, ANY, ANY, IDS, ANY}, "reduction=batchmean", 0},
    {"linear_cross_entropy", 4, {"4,2", "1030,2", "1030", "4"}, {ANY, ANY, ANY, SPLIT_IDS}, "reduction=sum ignore=1", 0},
    {"linear_cross_entropy", 4, {"130,64", "2100,64", "2100", "130"}, {ANY, ANY, ANY, SPLIT_IDS}, "reduction=sum ignore=0", LARGE},
    {"pack", 2, {"4,4,3", "4"}, {ANY, LENS}, "", 0},
    {"pack", 2, {"4,4", "4"}, {ANY, LENS}, "", 0},
    {"pack", 2, {"32,20,64", "32"}, {ANY, LENS20}, "", LARGE},
    /* recurrent layers: 4 sentences of 4 steps, lengths 1, 4, 2, 0 */
    {"lstm", 6, {"4,4,5", "4", "12,5", "12,3", "12", "12"}, {ANY, LENS, ANY, ANY, ANY, ANY}, "", 0},
    {"lstm", 6, {"4,4,5", "4", "12,5", "12,3", "12", "12"}, {ANY, LENS, ANY, ANY, ANY, ANY}, "output=last", 0},
    {"lstm", 8, {"4,4,5", "4", "12,5", "12,3", "12", "12", "4,3", "4,3"}, {ANY, LENS, ANY, ANY, ANY, ANY, ANY, ANY}, "", 0},
    {"lstm", 8, {"4,4,5", "4", "12,5", "12,3", "12", "12", "4,3", "4,3"}, {ANY, LENS, ANY, ANY, ANY, ANY, ANY, ANY}, "output=state", 0},
    {"lstm", 7, {"4,4,2", "4", "8,2", "8,2", "8", "8", "4,2"}, {ANY, LENS, ANY, ANY, ANY, ANY, ANY}, "output=last", 0},
    {"lstm", 8, {"32,20,64", "32", "512,64", "512,128", "512", "512", "32,128", "32,128"}, {ANY, LENS20, ANY, ANY, ANY, ANY, ANY, ANY}, "", LARGE},
    {"gru", 6, {"4,4,5", "4", "9,5", "9,3", "9", "9"}, {ANY, LENS, ANY, ANY, ANY, ANY}, "", 0},
    {"gru", 6, {"4,4,5", "4", "9,5", "9,3", "9", "9"}, {ANY, LENS, ANY, ANY, ANY, ANY}, "output=last", 0},
    {"gru", 7, {"4,4,5", "4", "9,5", "9,3", "9", "9", "4,3"}, {ANY, LENS, ANY, ANY, ANY, ANY, ANY}, "", 0},
    {"gru", 7, {"4,4,5", "4", "9,5", "9,3", "9", "9", "4,3"}, {ANY, LENS, ANY, ANY, ANY, ANY, ANY}, "output=state", 0},
    {"gru", 7, {"32,20,64", "32", "384,64", "384,128", "384", "384", "32,128"}, {ANY, LENS20, ANY, ANY, ANY, ANY, ANY}, "output=last", LARGE},
/* More cases, a file per family of ops: each file is read twice, here for
 * its cases (GRAD_CASES) and before main for its own checks (GRAD_CHECKS). */
#define GRAD_CASES
#include "grad_categorical.h"
#include "grad_tensor.h"
#include "grad_ranking.h"
#undef GRAD_CASES
};

static const uint64_t SEED = 20261122;

static vg_shape parse_shape(const char *s) {
  vg_shape sh = vg_shape_scalar();
  while (*s) {
    char *end;
    sh.d[sh.nd++] = strtoll(s, &end, 10);
    s = *end == ',' ? end + 1 : end;
  }
  return sh;
}

static double draw(int domain, int input, int64_t i) {
  double u = vg_rng_uniform(SEED, 7, (uint32_t)input, (uint64_t)i);
  switch (domain) {
    case POS: return 0.5 + 1.5 * u;
    case PROB: return 0.05 + 0.9 * u;
    case AWAY0: return (u < 0.5 ? -1 : 1) * (0.05 + 2 * u);
    case BIT: return u < 0.5 ? 0.0 : 1.0;
    case IDS: return floor(6 * u);
    case LENS: return (double)((i * 3 + 1) % 5);
    case LENS20: return (double)(i % 21);
    case SPLIT_IDS: return (i % 2 ? 1024 : 0) + floor(6 * u);
    default: return vg_rng_normal(SEED, 7, (uint32_t)input, (uint64_t)i);
  }
}

/* One case's buffers in both precisions. */
typedef struct bufs {
  int nin, training, across;
  int64_t nx[VG_MAX_IN], ny;
  double *x[VG_MAX_IN], *dx[VG_MAX_IN], *y, *r, *saved, *scratch;
  float *xf[VG_MAX_IN], *dxf[VG_MAX_IN], *yf, *rf, *savedf, *scratchf;
} bufs;

static void *alloc0(size_t n) {
  void *p = calloc(n ? n : 1, 1);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  return p;
}

/* Scratch holds nothing from one call to the next: each kernel set up
 * by kernel64 and kernel32 finds it full of NaN, so an op that reads scratch it did not write
 * (a margin it expects zero) fails its checks. */
static size_t scratch_reals(const vg_node *n) { return n->scratch_len + n->scratch_thread_len * 2; }

static void bufs_make(bufs *b, const vg_graph *g, const vg_node *n, const gcase *c) {
  memset(b, 0, sizeof *b);
  b->nin = n->nin;
  b->training = (c->mode & TRAINING) != 0;
  b->across = (c->mode & ACROSS) != 0;
  /* Scratch: sized for the most threads any check uses (scratch_reals). */
  for (int k = 0; k < n->nin; k++) {
    b->nx[k] = vg_shape_numel(&g->nodes[n->in[k]].shape);
    b->x[k] = alloc0((size_t)b->nx[k] * sizeof(double));
    b->dx[k] = alloc0((size_t)b->nx[k] * sizeof(double));
    b->xf[k] = alloc0((size_t)b->nx[k] * sizeof(float));
    b->dxf[k] = alloc0((size_t)b->nx[k] * sizeof(float));
    for (int64_t i = 0; i < b->nx[k]; i++) b->xf[k][i] = (float)(b->x[k][i] = draw(c->domain[k], k, i));
  }
  b->ny = vg_shape_numel(&n->shape);
  b->y = alloc0((size_t)b->ny * sizeof(double));
  b->r = alloc0((size_t)b->ny * sizeof(double));
  b->yf = alloc0((size_t)b->ny * sizeof(float));
  b->rf = alloc0((size_t)b->ny * sizeof(float));
  for (int64_t i = 0; i < b->ny; i++) b->rf[i] = (float)(b->r[i] = vg_rng_normal(SEED, 8, 0, (uint64_t)i));
  b->saved = alloc0(n->saved_len * sizeof(double));
  b->savedf = alloc0(n->saved_len * sizeof(float));
  b->scratch = alloc0(scratch_reals(n) * sizeof(double));
  b->scratchf = alloc0(scratch_reals(n) * sizeof(float));
}

static void bufs_free(bufs *b) {
  for (int k = 0; k < b->nin; k++) free(b->x[k]), free(b->dx[k]), free(b->xf[k]), free(b->dxf[k]);
  free(b->y), free(b->r), free(b->yf), free(b->rf), free(b->saved), free(b->savedf), free(b->scratch), free(b->scratchf);
}

/* Two processes holding the same batch: every sum over them is twice this
 * one's. The doubled batch has the batch's statistics, and with a share of
 * one half the gradients are one process's: exactly, as doubling and
 * halving are exact in binary. */
static void twin_sum(const vg_collective *c, double *v, size_t n) {
  (void)c;
  for (size_t i = 0; i < n; i++) v[i] *= 2;
}
static const vg_collective twin = {twin_sum, 0.5};

static vg_kernel_f64 kernel64(const vg_graph *g, const vg_node *n, int id, bufs *b) {
  for (size_t i = 0; i < scratch_reals(n); i++) b->scratch[i] = NAN;
  vg_kernel_f64 k;
  memset(&k, 0, sizeof k);
  k.node = n, k.node_id = id, k.nin = n->nin, k.a = &n->attr, k.seed = SEED, k.step = 3;
  for (int i = 0; i < n->nin; i++)
    k.x[i] = b->x[i], k.xs[i] = &g->nodes[n->in[i]].shape, k.dx[i] = vg_ops_f64[n->op]->nograd >> i & 1 ? NULL : b->dx[i];
  k.y = b->y, k.ys = &n->shape, k.dy = b->r, k.saved = b->saved, k.scratch = b->scratch;
  k.threads = omp_get_max_threads(), k.training = b->training, k.coll = b->across ? &twin : NULL;
  return k;
}

static vg_kernel_f32 kernel32(const vg_graph *g, const vg_node *n, int id, bufs *b) {
  for (size_t i = 0; i < scratch_reals(n); i++) b->scratchf[i] = NAN;
  vg_kernel_f32 k;
  memset(&k, 0, sizeof k);
  k.node = n, k.node_id = id, k.nin = n->nin, k.a = &n->attr, k.seed = SEED, k.step = 3;
  for (int i = 0; i < n->nin; i++)
    k.x[i] = b->xf[i], k.xs[i] = &g->nodes[n->in[i]].shape, k.dx[i] = vg_ops_f32[n->op]->nograd >> i & 1 ? NULL : b->dxf[i];
  k.y = b->yf, k.ys = &n->shape, k.dy = b->rf, k.saved = b->savedf, k.scratch = b->scratchf;
  k.threads = omp_get_max_threads(), k.training = b->training, k.coll = b->across ? &twin : NULL;
  return k;
}

/* max that keeps a NaN (fmax drops it). */
static double max_nan(double a, double b) { return isnan(b) || b > a ? b : a; }

static double objective(const vg_op_f64 *op, const vg_kernel_f64 *k, const bufs *b) {
  op->forward(k);
  double s = 0;
  for (int64_t i = 0; i < b->ny; i++) s += b->r[i] * b->y[i];
  return s;
}

/* Runs the backward with NaN in whatever the op says its backward does
 * not read (the memory plan may have reused it): a false claim shows up as
 * a NaN gradient. */
static void backward_poisoned(const vg_op_f64 *op, const vg_kernel_f64 *k, bufs *b) {
  double *keep_x[VG_MAX_IN] = {0}, *keep_y = NULL;
  if (!op->backward) return; /* no inputs to differentiate (prior) */
  if (k->node->flags & VG_OPF_BWD_NO_X)
    for (int in = 0; in < b->nin; in++) {
      keep_x[in] = alloc0((size_t)b->nx[in] * sizeof(double));
      memcpy(keep_x[in], b->x[in], (size_t)b->nx[in] * sizeof(double));
      for (int64_t i = 0; i < b->nx[in]; i++) b->x[in][i] = NAN;
    }
  if (k->node->flags & VG_OPF_BWD_NO_Y) {
    keep_y = alloc0((size_t)b->ny * sizeof(double));
    memcpy(keep_y, b->y, (size_t)b->ny * sizeof(double));
    for (int64_t i = 0; i < b->ny; i++) b->y[i] = NAN;
  }
  op->backward(k);
  for (int in = 0; in < b->nin; in++)
    if (keep_x[in]) memcpy(b->x[in], keep_x[in], (size_t)b->nx[in] * sizeof(double)), free(keep_x[in]);
  if (keep_y) memcpy(b->y, keep_y, (size_t)b->ny * sizeof(double)), free(keep_y);
}

/* Analytic against central differences, in double. */
static void check_gradients(const gcase *c, const vg_graph *g, const vg_node *n, int id, bufs *b) {
  const vg_op_f64 *op = vg_ops_f64[n->op];
  vg_kernel_f64 k = kernel64(g, n, id, b);
  op->forward(&k);
  backward_poisoned(op, &k, b);
  const double h = 1e-6;
  int shown = 0;
  double worst = 0;
  for (int in = 0; in < n->nin; in++) {
    if (op->nograd >> in & 1) continue; /* takes no gradient: nothing to compare */
    for (int64_t i = 0; i < b->nx[in]; i++) {
      double keep = b->x[in][i];
      b->x[in][i] = keep + h;
      double lp = objective(op, &k, b);
      b->x[in][i] = keep - h;
      double lm = objective(op, &k, b);
      b->x[in][i] = keep;
      double num = (lp - lm) / (2 * h), ana = b->dx[in][i];
      double err = fabs(num - ana) / fmax(fmax(fabs(num), fabs(ana)), 1e-2);
      if (isnan(err)) err = INFINITY; /* a NaN gradient must fail, not compare false */
      if (err > worst) worst = err;
      if (err > 1e-3 && shown++ < 5)
        fprintf(stderr, "  %s [%s]: input %d element %lld: analytic %.9g, numeric %.9g (rel err %.2e, seed %llu)\n",
                c->op, c->attrs, in + 1, (long long)i, ana, num, err, (unsigned long long)SEED);
    }
  }
  CHECK(worst <= 1e-3, "%s [%s]: worst relative error %.2e", c->op, c->attrs, worst);
  printf("  %-14s %-32s grad rel err %.1e\n", c->op, c->attrs, worst);
}

/* Float kernels against double ones on the same inputs, on the path
 * isa.h chose (for_each_path runs every one). */
static void check_float_path(const gcase *c, const vg_graph *g, const vg_node *n, int id, bufs *b) {
  const vg_op_f64 *op64 = vg_ops_f64[n->op];
  const vg_op_f32 *op32 = vg_ops_f32_kernels()[n->op];
  vg_kernel_f64 k64 = kernel64(g, n, id, b);
  vg_kernel_f32 k32 = kernel32(g, n, id, b);
  for (int in = 0; in < n->nin; in++) {
    memset(b->dx[in], 0, (size_t)b->nx[in] * sizeof(double));
    memset(b->dxf[in], 0, (size_t)b->nx[in] * sizeof(float));
  }
  op64->forward(&k64), op32->forward(&k32);
  if (op64->backward) op64->backward(&k64), op32->backward(&k32);
  double worst = 0;
  for (int64_t i = 0; i < b->ny; i++) worst = max_nan(worst, fabs(b->y[i] - b->yf[i]) / fmax(fabs(b->y[i]), 1));
  if (isnan(worst)) worst = INFINITY;
  for (int in = 0; in < n->nin && op64->backward; in++)
    for (int64_t i = 0; i < b->nx[in]; i++)
      worst = max_nan(worst, fabs(b->dx[in][i] - b->dxf[in][i]) / fmax(fabs(b->dx[in][i]), 1));
  CHECK(worst <= 2e-4, "%s [%s]: float kernels (%s) differ from double by %.2e", c->op, c->attrs,
        vg_isa_name(vg_isa_current()), worst);
}

/* Float forward and backward at 1 and 2 threads must match bit for bit. */
static void check_threads_path(const gcase *c, const vg_graph *g, const vg_node *n, int id, bufs *b) {
  const vg_op_f32 *op = vg_ops_f32_kernels()[n->op];
  float *y1 = alloc0((size_t)b->ny * sizeof(float)), *dx1[VG_MAX_IN];
  for (int t = 1; t <= 2; t++) {
    omp_set_num_threads(t);
    for (int in = 0; in < n->nin; in++) memset(b->dxf[in], 0, (size_t)b->nx[in] * sizeof(float));
    vg_kernel_f32 k = kernel32(g, n, id, b);
    op->forward(&k);
    if (op->backward) op->backward(&k);
    if (t == 1) {
      memcpy(y1, b->yf, (size_t)b->ny * sizeof(float));
      for (int in = 0; in < n->nin; in++) {
        dx1[in] = alloc0((size_t)b->nx[in] * sizeof(float));
        memcpy(dx1[in], b->dxf[in], (size_t)b->nx[in] * sizeof(float));
      }
    }
  }
  const char *path = vg_isa_name(vg_isa_current());
  CHECK(memcmp(y1, b->yf, (size_t)b->ny * sizeof(float)) == 0, "%s [%s]: output differs at 1 and 2 threads (%s)",
        c->op, c->attrs, path);
  for (int in = 0; in < n->nin; in++) {
    CHECK(memcmp(dx1[in], b->dxf[in], (size_t)b->nx[in] * sizeof(float)) == 0,
          "%s [%s]: gradient of input %d differs at 1 and 2 threads (%s)", c->op, c->attrs, in + 1, path);
    free(dx1[in]);
  }
  free(y1);
  printf("  %-14s %-32s 1 vs 2 threads identical (%s)\n", c->op, c->attrs, path);
}

/* Each float check on every kernel path this CPU runs (the op files are
 * compiled once per path: runtime/op.h), then back to the best. */
typedef void (*float_check)(const gcase *, const vg_graph *, const vg_node *, int, bufs *);
static void for_each_path(float_check check, const gcase *c, const vg_graph *g, const vg_node *n, int id, bufs *b) {
  const vg_isa best = vg_isa_cpu();
  for (int isa = VG_ISA_PORTABLE; isa <= (int)best; isa++) {
    vg_isa_force((vg_isa)isa);
    check(c, g, n, id, b);
  }
  vg_isa_force(best);
}
static void check_float(const gcase *c, const vg_graph *g, const vg_node *n, int id, bufs *b) {
  for_each_path(check_float_path, c, g, n, id, b);
}
static void check_threads(const gcase *c, const vg_graph *g, const vg_node *n, int id, bufs *b) {
  for_each_path(check_threads_path, c, g, n, id, b);
}

/* An op that writes its gradients outright when asked (VG_OPF_BWD_SETS)
 * gives, into buffers of NaN, exactly what it adds to zeros. */
static void check_sets_path(const gcase *c, const vg_graph *g, const vg_node *n, int id, bufs *b) {
  const vg_op_f32 *op = vg_ops_f32_kernels()[n->op];
  float *added[VG_MAX_IN] = {0};
  vg_kernel_f32 k = kernel32(g, n, id, b);
  op->forward(&k);
  for (int in = 0; in < n->nin; in++) memset(b->dxf[in], 0, (size_t)b->nx[in] * sizeof(float));
  op->backward(&k);
  for (int in = 0; in < n->nin; in++) {
    added[in] = alloc0((size_t)b->nx[in] * sizeof(float));
    memcpy(added[in], b->dxf[in], (size_t)b->nx[in] * sizeof(float));
    for (int64_t i = 0; i < b->nx[in]; i++) b->dxf[in][i] = NAN;
    if (k.dx[in]) k.dx_set |= 1u << in;
  }
  op->backward(&k);
  for (int in = 0; in < n->nin; in++) {
    int64_t differ = 0;
    for (int64_t i = 0; k.dx[in] && i < b->nx[in]; i++) differ += !(b->dxf[in][i] == added[in][i]);
    CHECK(differ == 0, "%s [%s]: %lld of %lld elements of input %d's gradient differ when set instead of added (%s)",
          c->op, c->attrs, (long long)differ, (long long)b->nx[in], in + 1, vg_isa_name(vg_isa_current()));
    free(added[in]);
  }
}

/* The gradients of each input alone (the others' dx NULL, as for data,
 * which takes none) are the bits of the full backward's: an op that
 * shares work between its gradients (a convolution's dy transposed once
 * for both) still computes each right without the other. */
static void check_alone_path(const gcase *c, const vg_graph *g, const vg_node *n, int id, bufs *b) {
  const vg_op_f32 *op = vg_ops_f32_kernels()[n->op];
  vg_kernel_f32 k = kernel32(g, n, id, b);
  op->forward(&k);
  float *full[VG_MAX_IN] = {0};
  for (int in = 0; in < n->nin; in++) memset(b->dxf[in], 0, (size_t)b->nx[in] * sizeof(float));
  op->backward(&k);
  for (int in = 0; in < n->nin; in++) {
    full[in] = alloc0((size_t)b->nx[in] * sizeof(float));
    memcpy(full[in], b->dxf[in], (size_t)b->nx[in] * sizeof(float));
  }
  for (int only = 0; only < n->nin; only++) {
    if (!k.dx[only]) continue;
    vg_kernel_f32 k1 = kernel32(g, n, id, b);
    for (int in = 0; in < n->nin; in++)
      if (in != only) k1.dx[in] = NULL;
    memset(b->dxf[only], 0, (size_t)b->nx[only] * sizeof(float));
    op->backward(&k1);
    CHECK(memcmp(b->dxf[only], full[only], (size_t)b->nx[only] * sizeof(float)) == 0,
          "%s [%s]: input %d's gradient alone differs from the full backward's (%s)", c->op, c->attrs, only + 1,
          vg_isa_name(vg_isa_current()));
  }
  for (int in = 0; in < n->nin; in++) free(full[in]);
}

/* With the batch split over two processes (twin), the float kernels give
 * one process's bits: output and gradients. Batch norm's running variance
 * is the exception that shows the count was summed: it takes the unbiased
 * variance of the doubled batch, n' = 2n values. */
static void check_across(const gcase *c, const vg_graph *g, const vg_node *n, int id, bufs *b) {
  const vg_op_f32 *op = vg_ops_f32_kernels()[n->op];
  float *y1 = alloc0((size_t)b->ny * sizeof(float)), *keep[VG_MAX_IN], *dx1[VG_MAX_IN];
  for (int in = 0; in < n->nin; in++) {
    keep[in] = alloc0((size_t)b->nx[in] * sizeof(float));
    dx1[in] = alloc0((size_t)b->nx[in] * sizeof(float));
    memcpy(keep[in], b->xf[in], (size_t)b->nx[in] * sizeof(float));
  }
  for (int across = 0; across <= 1; across++) {
    for (int in = 0; in < n->nin; in++) {
      memcpy(b->xf[in], keep[in], (size_t)b->nx[in] * sizeof(float)); /* the forward writes running statistics */
      memset(b->dxf[in], 0, (size_t)b->nx[in] * sizeof(float));
    }
    b->across = across;
    vg_kernel_f32 k = kernel32(g, n, id, b);
    op->forward(&k);
    if (op->backward) op->backward(&k);
    if (across) break;
    memcpy(y1, b->yf, (size_t)b->ny * sizeof(float));
    for (int in = 0; in < n->nin; in++) memcpy(dx1[in], b->dxf[in], (size_t)b->nx[in] * sizeof(float));
  }
  CHECK(memcmp(y1, b->yf, (size_t)b->ny * sizeof(float)) == 0, "%s [%s]: output across processes differs", c->op, c->attrs);
  for (int in = 0; in < n->nin; in++)
    CHECK(memcmp(dx1[in], b->dxf[in], (size_t)b->nx[in] * sizeof(float)) == 0,
          "%s [%s]: gradient of input %d across processes differs", c->op, c->attrs, in + 1);
  if (n->op == VG_OP_BATCH_NORM) {
    const vg_shape *xs = &g->nodes[n->in[0]].shape;
    const int64_t C = xs->d[1], per = vg_shape_numel(xs) / C, S = per / xs->d[0];
    const double mom = n->attr.v[0];
    double worst = 0;
    for (int64_t ch = 0; ch < C; ch++) {
      double s1 = 0, s2 = 0;
      for (int64_t i = 0; i < per; i++) s1 += keep[0][(i / S * C + ch) * S + i % S];
      for (int64_t i = 0; i < per; i++) {
        const double d = keep[0][(i / S * C + ch) * S + i % S] - s1 / (double)per;
        s2 += d * d;
      }
      const double want = (1 - mom) * keep[4][ch] + mom * 2 * s2 / (double)(2 * per - 1);
      worst = fmax(worst, fabs(b->xf[4][ch] - want) / fmax(fabs(want), 1e-3));
    }
    CHECK(worst <= 1e-5, "%s [%s]: running variance across processes off by %.2e relative", c->op, c->attrs, worst);
  }
  b->across = 1;
  for (int in = 0; in < n->nin; in++) free(keep[in]), free(dx1[in]);
  free(y1);
  printf("  %-14s %-32s across 2 processes = 1 process (%s)\n", c->op, c->attrs, vg_isa_name(vg_isa_current()));
}

/* An op without a backward (stop_gradient, argmax, the noise ops) must
 * pass no gradient: a plan updating only what lies behind it is refused,
 * and one beside it works. The op runs on a parameter w of the case's
 * first shape, with its attributes (values 0, 1, 0, 1, ... for an op that
 * checks them as ids), then loss = sum(s * v), v of w's shape and s the
 * op's output (or the sum of it, when its shape is not w's), so
 * d loss / d v = s. */
static void check_no_grad(const gcase *c) {
  vg_graph *g = vg_graph_new(SEED);
  int grp = vg_group_new(g, "a"), grp2 = vg_group_new(g, "b");
  const vg_shape ws = parse_shape(c->shapes[0]);
  const int64_t n = vg_shape_numel(&ws);
  int w = vg_param(g, grp, "w", ws, (vg_init){VG_INIT_NORMAL, 0, 1});
  int v = vg_param(g, grp2, "v", ws, (vg_init){VG_INIT_NORMAL, 0, 1});
  /* An op of several inputs (nearest_code) takes parameters of the case's
   * shapes for the others, in the same group as w. */
  int ins[VG_MAX_IN] = {w};
  for (int k = 1; k < c->nin; k++) {
    char name[16];
    snprintf(name, sizeof name, "w%d", k);
    ins[k] = vg_param(g, grp, name, parse_shape(c->shapes[k]), (vg_init){VG_INIT_NORMAL, 0, 1});
  }
  int op = vg_node_add(g, vg_op_find(c->op), "blocked", c->nin > 0 ? c->nin : 1, ins, c->attrs);
  int s = op >= 0 && !vg_shape_eq(&g->nodes[op].shape, &ws) ? vg_node_add(g, VG_OP_SUM, "s", 1, &op, NULL) : op;
  int in[2] = {s, v};
  int m = vg_node_add(g, VG_OP_MUL, "m", 2, in, NULL);
  int loss = vg_node_add(g, VG_OP_SUM, "loss", 1, &m, NULL);
  CHECK(loss >= 0, "%s", vg_graph_error(g));
  if (loss < 0 || vg_graph_freeze(g) != VG_OK) {
    vg_graph_free(g);
    return;
  }
  float *wv = vg_param_data(g, w);
  if (vg_ops_f32[g->nodes[op].op]->check)
    for (int64_t i = 0; i < n; i++) wv[i] = (float)(i % 2);
  vg_plan *p = NULL;
  vg_plan_spec bad = {.name = "behind", .loss = loss, .update = &grp, .nupdate = 1};
  CHECK(vg_plan_compile(g, &bad, &p) == VG_ERR_GRAPH, "updating behind %s compiled", c->op);
  CHECK_CONTAINS(vg_graph_error(g), "only through stop_gradient");
  vg_plan_spec ok = {.name = "beside", .loss = loss, .update = &grp2, .nupdate = 1, .fetch = &s, .nfetch = 1};
  CHECK(vg_plan_compile(g, &ok, &p) == VG_OK, "%s", vg_graph_error(g));
  if (p) {
    CHECK(vg_plan_run(p, 0) == VG_OK, "%s", vg_graph_error(g));
    const float *sv = vg_plan_value(p, s), *gv = g->grads + g->nodes[v].off;
    const int whole = s != op;
    int64_t bad_grads = 0;
    for (int64_t i = 0; i < n; i++) bad_grads += gv[i] != sv[whole ? 0 : i];
    CHECK(bad_grads == 0, "%s [%s]: %lld of d loss / d v are not s", c->op, c->attrs, (long long)bad_grads);
    if (strcmp(c->op, "stop_gradient") == 0) /* s = w */
      CHECK(memcmp(sv, wv, (size_t)n * sizeof(float)) == 0, "stop_gradient: s is not w");
    vg_plan_free(p);
  }
  vg_graph_free(g);
  printf("  %-14s %-32s blocks gradients\n", c->op, c->attrs);
}

static int run_case(const gcase *c) {
  vg_graph *g = vg_graph_new(SEED);
  int in[VG_MAX_IN];
  for (int k = 0; k < c->nin; k++) {
    char name[16];
    snprintf(name, sizeof name, "x%d", k + 1);
    in[k] = vg_input(g, name, parse_shape(c->shapes[k]));
  }
  int id = vg_node_add(g, vg_op_find(c->op), "node", c->nin, in, c->attrs);
  if (id < 0) {
    CHECK(0, "%s [%s]: cannot build: %s", c->op, c->attrs, vg_graph_error(g));
    vg_graph_free(g);
    return 0;
  }
  const vg_node *n = &g->nodes[id];
  bufs b;
  bufs_make(&b, g, n, c);
  if (vg_ops_f64[n->op]->check) { /* the case's values are all valid: the check must take them */
    char msg[256];
    vg_kernel_f64 k = kernel64(g, n, id, &b);
    CHECK(vg_ops_f64[n->op]->check(&k, msg, sizeof msg) == 0, "%s [%s]: check refuses valid values: %s", c->op, c->attrs, msg);
  }
  if (vg_ops_f32[n->op]->flags & VG_OPF_NO_GRAD) {
    /* Nothing to differentiate: the op blocks gradients, and its values
     * are the same at 1 and 2 threads (LARGE) or in float and double;
     * exact values are its family's checks (categorical_checks). */
    CHECK(vg_ops_f32[n->op]->backward == NULL, "%s has a backward", c->op);
    if (n->op == VG_OP_STOP_GRADIENT) {
      vg_kernel_f64 k = kernel64(g, n, id, &b);
      vg_ops_f64[n->op]->forward(&k);
      CHECK(memcmp(b.y, b.x[0], (size_t)b.ny * sizeof(double)) == 0, "%s does not pass its value", c->op);
    }
    check_no_grad(c);
    if (c->mode & LARGE) check_threads(c, g, n, id, &b);
    else check_float(c, g, n, id, &b);
  } else if (c->mode & LARGE) {
    check_threads(c, g, n, id, &b);
  } else {
    for (int t = 1; t <= 2; t++) {
      omp_set_num_threads(t);
      for (int k = 0; k < n->nin; k++) memset(b.dx[k], 0, (size_t)b.nx[k] * sizeof(double));
      check_gradients(c, g, n, id, &b);
    }
    check_float(c, g, n, id, &b);
  }
  if (c->mode & ACROSS) for_each_path(check_across, c, g, n, id, &b);
  if (vg_ops_f32[n->op]->flags & VG_OPF_BWD_SETS) {
    for_each_path(check_sets_path, c, g, n, id, &b);
    printf("  %-14s %-32s sets its gradients as it adds them\n", c->op, c->attrs);
  }
  if (n->nin > 1 && vg_ops_f32[n->op]->backward && !(c->mode & LARGE)) {
    for_each_path(check_alone_path, c, g, n, id, &b);
    printf("  %-14s %-32s each gradient alone as in the full backward\n", c->op, c->attrs);
  }
  bufs_free(&b);
  vg_graph_free(g);
  return 1;
}

/* The prior's samples, by their statistics: a standard gaussian's moments,
 * and the mixture's points around the circle, every component used about
 * equally. Draws are keyed by step: the same step gives the same samples. */
static void check_prior(void) {
  enum { N = 6000 };
  vg_graph *g = vg_graph_new(SEED);
  int gs = vg_node_add(g, VG_OP_PRIOR, "gauss", 0, NULL, "dims=6000,3");
  int mx = vg_node_add(g, VG_OP_PRIOR, "mix", 0, NULL, "dims=6000,2 kind=mixture");
  CHECK(gs >= 0 && mx >= 0, "%s", vg_graph_error(g));
  int fetch[2] = {gs, mx};
  vg_plan_spec spec = {.name = "prior", .loss = -1, .fetch = fetch, .nfetch = 2};
  vg_plan *p = NULL;
  CHECK(vg_plan_compile(g, &spec, &p) == VG_OK, "%s", vg_graph_error(g));
  if (!p) return;
  CHECK(vg_plan_run(p, 7) == VG_OK, "%s", vg_graph_error(g));
  const float *a = vg_plan_value(p, gs), *m = vg_plan_value(p, mx);
  double s = 0, ss = 0;
  for (int i = 0; i < 3 * N; i++) s += a[i], ss += (double)a[i] * a[i];
  const double mean = s / (3 * N), var = ss / (3 * N) - mean * mean;
  CHECK(fabs(mean) < 0.03 && fabs(var - 1) < 0.05, "gaussian prior: mean %g, variance %g", mean, var);
  int count[10] = {0};
  double rs = 0;
  for (int i = 0; i < N; i++) {
    const double x = m[2 * i], y = m[2 * i + 1], r = sqrt(x * x + y * y);
    double th = atan2(y, x);
    if (th < -0.1) th += 2 * M_PI;
    int c = (int)floor(th / (2 * M_PI / 10) + 0.5) % 10;
    count[c]++, rs += r;
  }
  CHECK(fabs(rs / N - 1.4) < 0.05, "mixture prior: mean radius %g, want about 1.4", rs / N);
  for (int c = 0; c < 10; c++)
    CHECK(count[c] > N / 10 * 0.85 && count[c] < N / 10 * 1.15, "mixture prior: component %d holds %d of %d", c,
          count[c], N);
  float first = a[0], firstm = m[0];
  CHECK(vg_plan_run(p, 8) == VG_OK, "%s", vg_graph_error(g));
  CHECK(vg_plan_value(p, gs)[0] != first && vg_plan_value(p, mx)[0] != firstm, "a new step draws the same samples");
  CHECK(vg_plan_run(p, 7) == VG_OK, "%s", vg_graph_error(g));
  CHECK(vg_plan_value(p, gs)[0] == first && vg_plan_value(p, mx)[0] == firstm, "step 7 again draws other samples");
  vg_plan_free(p);
  vg_graph_free(g);
  /* categorical: every group of 10 one-hot, each class about as often. */
  g = vg_graph_new(SEED);
  int ct = vg_node_add(g, VG_OP_PRIOR, "cat", 0, NULL, "dims=2000,30 kind=categorical categories=10");
  CHECK(ct >= 0, "%s", vg_graph_error(g));
  vg_plan_spec cspec = {.name = "prior", .loss = -1, .fetch = &ct, .nfetch = 1};
  CHECK(vg_plan_compile(g, &cspec, &p) == VG_OK, "%s", vg_graph_error(g));
  CHECK(vg_plan_run(p, 7) == VG_OK, "%s", vg_graph_error(g));
  const float *cv = vg_plan_value(p, ct);
  int hits[10] = {0}, bad = 0;
  for (int grp = 0; grp < 2000 * 3; grp++) {
    int ones = 0, at = -1;
    for (int j = 0; j < 10; j++)
      if (cv[grp * 10 + j] == 1) ones++, at = j;
      else bad += cv[grp * 10 + j] != 0;
    bad += ones != 1;
    if (at >= 0) hits[at]++;
  }
  CHECK(bad == 0, "categorical prior: %d values are not one-hot", bad);
  for (int c = 0; c < 10; c++) CHECK(hits[c] > 600 * 0.85 && hits[c] < 600 * 1.15, "categorical prior: class %d drawn %d of 6000", c, hits[c]);
  CHECK(vg_node_add(g, VG_OP_PRIOR, "odd", 0, NULL, "dims=4,25 kind=categorical categories=10") < 0, "25 values of groups of 10 accepted");
  vg_plan_free(p);
  vg_graph_free(g);
  printf("  prior          gaussian moments, mixture components, one-hot categories, keyed by step\n");
}

/* Padding takes no part: for a recurrent layer, positions past a
 * sentence's length get exactly zero gradient, changing them changes no
 * output, and the sequence output there is exactly 0; for cross_entropy, rows whose target is the ignored id get
 * exactly zero gradient. */
static void check_padding(const char *opname) {
  const int lstm = strcmp(opname, "lstm") == 0, ce = strcmp(opname, "cross_entropy") == 0;
  for (int out = 0; out < (ce ? 1 : 3); out++) {
    const char *attrs[] = {"output=sequence", "output=last", "output=state"};
    gcase c = {opname, 6, {"4,4,5", "4", lstm ? "12,5" : "9,5", lstm ? "12,3" : "9,3", lstm ? "12" : "9", lstm ? "12" : "9"},
               {ANY, LENS, ANY, ANY, ANY, ANY}, attrs[out], 0};
    if (ce) c = (gcase){opname, 2, {"4,4,7", "4,4"}, {ANY, IDS}, "reduction=sum ignore=0", 0};
    vg_graph *g = vg_graph_new(SEED);
    int in[VG_MAX_IN];
    for (int k = 0; k < c.nin; k++) {
      char name[16];
      snprintf(name, sizeof name, "x%d", k + 1);
      in[k] = vg_input(g, name, parse_shape(c.shapes[k]));
    }
    int id = vg_node_add(g, vg_op_find(opname), "node", c.nin, in, c.attrs);
    CHECK(id >= 0, "%s", vg_graph_error(g));
    if (id < 0) return;
    const vg_node *n = &g->nodes[id];
    bufs b;
    bufs_make(&b, g, n, &c);
    const vg_op_f64 *op = vg_ops_f64[n->op];
    if (ce)
      for (int64_t row = 0; row < 16; row += 5) b.x[1][row] = 0; /* padding, whatever the draw gave */
    vg_kernel_f64 k = kernel64(g, n, id, &b);
    op->forward(&k);
    op->backward(&k);
    const int64_t V = ce ? 7 : 5;
    int pads = 0;
    for (int64_t row = 0; row < 16; row++) {
      const int64_t bi = row / 4, t = row % 4;
      const int pad = ce ? b.x[1][row] == 0 : t >= (int64_t)b.x[1][bi];
      if (!pad) continue;
      pads++;
      for (int64_t j = 0; !ce && out == 0 && j < 3; j++) /* the sequence output is 0 there (H = 3) */
        CHECK(b.y[row * 3 + j] == 0, "%s: the output at padding position (%lld, %lld) is %g", opname, (long long)bi,
              (long long)t, b.y[row * 3 + j]);
      for (int64_t j = 0; j < V; j++) {
        CHECK(b.dx[0][row * V + j] == 0, "%s [%s]: padding position (%lld, %lld) has gradient %g", opname, c.attrs,
              (long long)bi, (long long)t, b.dx[0][row * V + j]);
        b.x[0][row * V + j] += 1; /* padding changes ... */
      }
    }
    double *y0 = alloc0((size_t)b.ny * sizeof(double));
    memcpy(y0, b.y, (size_t)b.ny * sizeof(double));
    op->forward(&k);
    CHECK(memcmp(y0, b.y, (size_t)b.ny * sizeof(double)) == 0, "%s [%s]: changing padding changes the output", opname,
          c.attrs); /* ... and nothing follows */
    CHECK(pads >= 3, "%s: only %d padding positions tested", opname, pads);
    free(y0);
    bufs_free(&b);
    vg_graph_free(g);
  }
  printf("  %-14s padding gets no gradient and changes nothing\n", opname);
}

/* linear_cross_entropy is cross_entropy over linear's logits: the same
 * loss and the same three gradients (double precision), across several
 * blocks of classes, with the targets in both, ignored rows, each
 * reduction, logits of hundreds whose largest moves up and down from
 * block to block (biases -200, +750 and +100 by block: exp of them
 * overflows even a double without the running max), and a block of -inf. */
static void check_fused_cross_entropy(void) {
  static const struct {
    const char *attrs;
    int nin, big;
  } variants[] = {{"reduction=mean ignore=3", 4, 0}, {"reduction=none ignore=3", 4, 0}, {"reduction=sum", 4, 0},
                  {"reduction=batchmean ignore=3", 5, 0}, {"reduction=sum ignore=3", 4, 1}, {"reduction=sum", 4, 2}};
  for (size_t vi = 0; vi < sizeof variants / sizeof variants[0]; vi++) {
    const gcase c = {"linear_cross_entropy", variants[vi].nin, {"6,3", "2100,3", "2100", "6", "2"},
                     {ANY, ANY, ANY, SPLIT_IDS, POS}, variants[vi].attrs, 0};
    vg_graph *g = vg_graph_new(SEED);
    int in[5];
    for (int k = 0; k < c.nin; k++) {
      char name[16];
      snprintf(name, sizeof name, "x%d", k + 1);
      in[k] = vg_input(g, name, parse_shape(c.shapes[k]));
    }
    const int fused = vg_node_add(g, VG_OP_LINEAR_CROSS_ENTROPY, "fused", c.nin, in, c.attrs);
    const int lin = vg_node_add(g, VG_OP_LINEAR, "logits", 3, in, "");
    const int ce = vg_node_add(g, VG_OP_CROSS_ENTROPY, "ce", c.nin - 2, (int[]){lin, in[3], in[4]}, c.attrs);
    CHECK(fused >= 0 && lin >= 0 && ce >= 0, "%s", vg_graph_error(g));
    if (fused < 0 || lin < 0 || ce < 0) {
      vg_graph_free(g);
      return;
    }
    const vg_node *nf = &g->nodes[fused], *nl = &g->nodes[lin], *nc = &g->nodes[ce];
    bufs b;
    bufs_make(&b, g, nf, &c);
    if (variants[vi].big == 1)
      for (int64_t j = 0; j < b.nx[2]; j++) b.x[2][j] += j < 1024 ? -200 : j < 2048 ? 750 : 100;
    if (variants[vi].big == 2) /* the last block's classes masked: it adds nothing, and no NaN */
      for (int64_t j = 2048; j < b.nx[2]; j++) b.x[2][j] = -INFINITY;
    vg_kernel_f64 k = kernel64(g, nf, fused, &b);
    vg_ops_f64[nf->op]->forward(&k);
    vg_ops_f64[nf->op]->backward(&k);
    /* The two ops apart, on the same inputs and upstream gradient. */
    const int64_t nlog = vg_shape_numel(&nl->shape);
    double *logits = alloc0((size_t)nlog * sizeof(double)), *dlogits = alloc0((size_t)nlog * sizeof(double));
    double *dx[3], *saved = alloc0(nc->saved_len * sizeof(double)), *y = alloc0((size_t)b.ny * sizeof(double));
    for (int i = 0; i < 3; i++) dx[i] = alloc0((size_t)b.nx[i] * sizeof(double));
    vg_kernel_f64 kl = {.node = nl, .node_id = lin, .nin = 3, .a = &nl->attr, .y = logits, .ys = &nl->shape, .dy = dlogits,
                        .threads = 1};
    for (int i = 0; i < 3; i++) kl.x[i] = b.x[i], kl.xs[i] = &g->nodes[in[i]].shape, kl.dx[i] = dx[i];
    vg_kernel_f64 kc = {.node = nc, .node_id = ce, .nin = c.nin - 2, .a = &nc->attr, .x = {logits, b.x[3], b.x[4]},
                        .xs = {&nl->shape, &g->nodes[in[3]].shape, c.nin == 5 ? &g->nodes[in[4]].shape : NULL},
                        .y = y, .ys = &nc->shape, .dy = b.r, .dx = {dlogits}, .saved = saved, .threads = 1};
    vg_ops_f64[VG_OP_LINEAR]->forward(&kl);
    vg_ops_f64[VG_OP_CROSS_ENTROPY]->forward(&kc);
    vg_ops_f64[VG_OP_CROSS_ENTROPY]->backward(&kc);
    vg_ops_f64[VG_OP_LINEAR]->backward(&kl);
    double err = 0;
    for (int64_t i = 0; i < b.ny; i++) err = max_nan(err, fabs(b.y[i] - y[i]) / (1 + fabs(y[i])));
    CHECK(isfinite(y[0]) && err < 1e-12, "linear_cross_entropy [%s]: loss %g, cross_entropy(linear) %g (off by %g)",
          c.attrs, b.y[0], y[0], err);
    for (int i = 0; i < 3; i++) {
      double gerr = 0, norm = 0;
      for (int64_t j = 0; j < b.nx[i]; j++) gerr = max_nan(gerr, fabs(b.dx[i][j] - dx[i][j])), norm = fmax(norm, fabs(dx[i][j]));
      CHECK(norm > 0 && gerr <= 1e-12 * norm, "linear_cross_entropy [%s]: gradient of input %d off by %g (largest %g)",
            c.attrs, i + 1, gerr, norm);
    }
    free(logits), free(dlogits), free(saved), free(y);
    for (int i = 0; i < 3; i++) free(dx[i]);
    bufs_free(&b);
    vg_graph_free(g);
  }
  printf("  %-14s the loss and gradients of cross_entropy(linear(x))\n", "linear_cross_entropy");
}

/* word_dropout replaces ids >= unk with unk at rate p in training, keeps
 * the special ids below unk, and passes everything in evaluation. */
static void check_word_dropout(void) {
  enum { N = 20000 };
  vg_graph *g = vg_graph_new(SEED);
  int x = vg_input(g, "ids", vg_shape_of(1, (int64_t[]){N}));
  int y = vg_node_add(g, VG_OP_WORD_DROPOUT, "wd", 1, &x, "p=0.3 unk=3");
  CHECK(y >= 0, "%s", vg_graph_error(g));
  float *ids = vg_input_fill(g, x);
  for (int i = 0; i < N; i++) ids[i] = (float)(i % 10);
  vg_kernel_f32 k;
  memset(&k, 0, sizeof k);
  float *out = alloc0(N * sizeof(float));
  k.node = &g->nodes[y], k.nin = 1, k.x[0] = ids, k.xs[0] = &g->nodes[x].shape, k.y = out, k.ys = &g->nodes[y].shape;
  k.a = &g->nodes[y].attr, k.seed = SEED, k.step = 5, k.training = 1;
  vg_ops_f32[VG_OP_WORD_DROPOUT]->forward(&k);
  int dropped = 0, eligible = 0, bad = 0;
  for (int i = 0; i < N; i++) {
    if (ids[i] < 3) bad += out[i] != ids[i];
    else eligible++, dropped += out[i] == 3 && ids[i] != 3, bad += out[i] != ids[i] && out[i] != 3;
  }
  const double rate = (double)dropped / (eligible - N / 10);
  CHECK(bad == 0, "word_dropout changed %d ids it must keep or made ids other than unk", bad);
  CHECK(fabs(rate - 0.3) < 0.02, "word_dropout rate %g, want 0.3", rate);
  k.training = 0;
  vg_ops_f32[VG_OP_WORD_DROPOUT]->forward(&k);
  CHECK(memcmp(out, ids, N * sizeof(float)) == 0, "word_dropout changes ids in evaluation");
  free(out);
  vg_graph_free(g);
  printf("  word_dropout   rate %.3f, specials kept, identity in evaluation\n", rate);
}

#define GRAD_CHECKS
#include "grad_categorical.h"
#include "grad_tensor.h"
#undef GRAD_CHECKS

/* maxpool2d's picks among ties and NaNs, on every kernel path: the first
 * maximum in scan order wins, and the last NaN wins over everything
 * (PyTorch's rule: take v when v > max or v is NaN); the backward routes
 * each dy to that pixel. Values 0..3 and NaN, so most windows hold ties;
 * widths 30, 29, 32 and 40 give rows of 15, 14, 16 and 20 outputs (a
 * vector's tail alone, none, and a whole vector then a tail). */
static void check_maxpool_picks(void) {
  const char *shapes[] = {"2,3,6,30", "1,2,7,29", "1,2,4,32", "1,1,4,40"};
  const char *attrs[] = {"", "kernel=3 stride=2 padding=1", "kernel=2 stride=1"};
  int checked = 0;
  for (int si = 0; si < 4; si++)
    for (int ai = 0; ai < 3; ai++) {
      vg_graph *g = vg_graph_new(SEED);
      int x = vg_input(g, "x", parse_shape(shapes[si]));
      int id = vg_node_add(g, VG_OP_MAXPOOL2D, "pool", 1, &x, attrs[ai]);
      CHECK(id >= 0, "%s", vg_graph_error(g));
      if (id < 0) {
        vg_graph_free(g);
        continue;
      }
      const vg_node *n = &g->nodes[id];
      const gcase c = {"maxpool2d", 1, {shapes[si]}, {ANY}, attrs[ai], 0};
      bufs b;
      bufs_make(&b, g, n, &c);
      for (int64_t i = 0; i < b.nx[0]; i++) {
        const int v = (int)(i * 7919 % 5);
        b.xf[0][i] = v == 4 ? NAN : (float)v;
      }
      const vg_shape *xs = &g->nodes[x].shape;
      const int H = (int)xs->d[2], W = (int)xs->d[3], OH = (int)n->shape.d[2], OW = (int)n->shape.d[3];
      const int k = (int)n->attr.v[0], s = n->attr.v[1] ? (int)n->attr.v[1] : k, pad = (int)n->attr.v[2];
      const vg_isa best = vg_isa_cpu();
      for (int isa = VG_ISA_PORTABLE; isa <= (int)best; isa++) {
        vg_isa_force((vg_isa)isa);
        const vg_op_f32 *op = vg_ops_f32_kernels()[n->op];
        vg_kernel_f32 kk = kernel32(g, n, id, &b);
        memset(b.dxf[0], 0, (size_t)b.nx[0] * sizeof(float));
        op->forward(&kk);
        op->backward(&kk);
        int64_t wrong = 0, routed = 0;
        float *want_dx = alloc0((size_t)b.nx[0] * sizeof(float));
        for (int64_t pl = 0; pl < xs->d[0] * xs->d[1]; pl++)
          for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
              const float *plane = b.xf[0] + pl * H * W;
              float m = -INFINITY;
              int at = -1;
              for (int i = oh * s - pad; i < oh * s - pad + k; i++)
                for (int j = ow * s - pad; j < ow * s - pad + k; j++) {
                  if (i < 0 || i >= H || j < 0 || j >= W) continue;
                  const float v = plane[i * W + j];
                  if (at < 0 || v > m || isnan(v)) m = v, at = i * W + j;
                }
              const int64_t o = (pl * OH + oh) * OW + ow;
              const float y = b.yf[o];
              wrong += !(y == m || (isnan(y) && isnan(m)));
              want_dx[pl * H * W + at] += b.rf[o];
            }
        for (int64_t i = 0; i < b.nx[0]; i++) routed += want_dx[i] != b.dxf[0][i];
        free(want_dx);
        CHECK(wrong == 0 && routed == 0, "maxpool2d %s [%s] (%s): %lld outputs are not the window's pick, %lld input gradients "
              "are not the dy routed to it", shapes[si], attrs[ai], vg_isa_name((vg_isa)isa), (long long)wrong, (long long)routed);
        checked++;
      }
      vg_isa_force(best);
      bufs_free(&b);
      vg_graph_free(g);
    }
  printf("  maxpool2d      ties and NaNs pick as PyTorch, %d shapes x paths\n", checked);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_grad OP\n");
    return 2;
  }
  if (vg_op_find(argv[1]) < 0) {
    fprintf(stderr, "test_grad: no op '%s'\n", argv[1]);
    return 2;
  }
  int ran = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (strcmp(cases[i].op, argv[1]) == 0) ran += run_case(&cases[i]);
  CHECK(ran > 0, "no gradient-check case for op '%s'", argv[1]);
  if (strcmp(argv[1], "prior") == 0) check_prior();
  if (!strcmp(argv[1], "lstm") || !strcmp(argv[1], "gru") || !strcmp(argv[1], "cross_entropy")) check_padding(argv[1]);
  if (strcmp(argv[1], "word_dropout") == 0) check_word_dropout();
  if (strcmp(argv[1], "linear_cross_entropy") == 0) check_fused_cross_entropy();
  if (strcmp(argv[1], "maxpool2d") == 0) check_maxpool_picks();
  categorical_checks(argv[1]);
  tensor_checks(argv[1]);
  CHECK_DONE();
}
