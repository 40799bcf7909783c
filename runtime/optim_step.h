/* The optimizers' update rules, included by optim.c once per kernel path
 * (isa.h) with VG_STEP_NAME and VG_STEP_TARGET set: the loops then
 * vectorise at that path's width, as the op files do (runtime/op.h). Each
 * element of a group is updated by one thread: no order to depend on. */
VG_STEP_TARGET static void VG_STEP_NAME(const vg_optim_conf *c, double lr_d, float *p, float *m, float *v,
                                         const float *grad, int64_t n, int64_t t) {
  const float lr = (float)lr_d, wd = (float)c->weight_decay, mom = (float)c->momentum;
  switch (c->kind) {
    case VG_OPTIM_SGD: {
#pragma omp parallel for schedule(static) if (n >= VG_PAR_MIN)
      for (int64_t i = 0; i < n; i++) {
        float g = grad[i] + wd * p[i];
        if (mom != 0) {
          m[i] = mom * m[i] + g;
          g = c->nesterov ? g + mom * m[i] : m[i];
        }
        p[i] -= lr * g;
      }
      break;
    }
    case VG_OPTIM_ADAM:
    case VG_OPTIM_ADAMW: {
      const float b1 = (float)c->beta1, b2 = (float)c->beta2, eps = (float)c->eps;
      const double bc1 = 1 - pow(c->beta1, (double)t), bc2 = 1 - pow(c->beta2, (double)t);
      const float step = (float)(lr_d / bc1), root_bc2 = (float)sqrt(bc2);
      const int decoupled = c->kind == VG_OPTIM_ADAMW;
#pragma omp parallel for schedule(static) if (n >= VG_PAR_MIN)
      for (int64_t i = 0; i < n; i++) {
        float g = grad[i];
        if (decoupled) p[i] *= 1 - lr * wd;
        else g += wd * p[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        p[i] -= step * m[i] / (sqrtf(v[i]) / root_bc2 + eps);
      }
      break;
    }
    case VG_OPTIM_RMSPROP: {
      const float a = (float)c->alpha, eps = (float)c->eps;
#pragma omp parallel for schedule(static) if (n >= VG_PAR_MIN)
      for (int64_t i = 0; i < n; i++) {
        float g = grad[i] + wd * p[i];
        v[i] = a * v[i] + (1 - a) * g * g;
        float upd = g / (sqrtf(v[i]) + eps);
        if (mom != 0) upd = m[i] = mom * m[i] + upd;
        p[i] -= lr * upd;
      }
      break;
    }
  }
}

#undef VG_STEP_NAME
#undef VG_STEP_TARGET
