#ifndef LATENT_CPNG_SHIM_H
#define LATENT_CPNG_SHIM_H
#include <png.h>
#include <zlib.h>
#endif
