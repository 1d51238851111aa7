import LatentCompute
print("latent")
