@_exported import LatentCompute
