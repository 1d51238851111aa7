"""The Karras et al. (2022) sigma grid (rho = 7) of a discrete linear-beta DDPM, each sigma mapped to a
fractional timestep by log-sigma interpolation (k-diffusion's sigma_to_t) and rounded, as
Sources/Latent/Models/Diffusion/SigmaGrid.swift does; the expected list of ODESamplerTests.

Usage: python tools/karras_timesteps.py [STEPS] [T]
"""
import math
import sys

import numpy as np


def karras_timesteps(steps, timesteps=1000, rho=7.0):
    betas = np.linspace(1e-4, 0.02, timesteps, dtype=np.float64)
    alphas_cumprod = np.cumprod(1 - betas)
    log_sigmas = np.log(np.sqrt((1 - alphas_cumprod) / alphas_cumprod))
    high, low = math.exp(log_sigmas[-1]), math.exp(log_sigmas[0])
    ramp = np.linspace(0, 1, steps)
    sigmas = (high ** (1 / rho) + ramp * (low ** (1 / rho) - high ** (1 / rho))) ** rho
    result = []
    for sigma in sigmas:
        t = np.interp(math.log(sigma), log_sigmas, np.arange(timesteps))
        t = int(round(float(t)))
        if not result or result[-1] != t:
            result.append(t)
    return result


if __name__ == "__main__":
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    timesteps = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    print(karras_timesteps(steps, timesteps))
